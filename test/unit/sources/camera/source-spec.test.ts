import { describe, expect, it } from 'vitest';
import { checkCaptureSettings, describeSource, parseCameraSource, redactUrl } from '../../../../src/sources/camera/source-spec.js';

describe('--source parsing', () => {
  it('reads every source kind', () => {
    expect(parseCameraSource('test')).toEqual({ kind: 'test' });
    expect(parseCameraSource('libcamera')).toEqual({ kind: 'libcamera' });
    expect(parseCameraSource('v4l2:/dev/video0')).toEqual({ kind: 'v4l2', device: '/dev/video0' });
    expect(parseCameraSource('thermal:/dev/v4l/by-id/usb-GroupGets_PureThermal-video-index0')).toEqual({ kind: 'thermal', device: '/dev/v4l/by-id/usb-GroupGets_PureThermal-video-index0' });
    expect(parseCameraSource('rtsp://admin:pw@192.168.1.20:554/Streaming/Channels/101')).toEqual({ kind: 'rtsp', url: 'rtsp://admin:pw@192.168.1.20:554/Streaming/Channels/101' });
    expect(parseCameraSource('file:/data/clip with space.mp4')).toEqual({ kind: 'file', path: '/data/clip with space.mp4' });
  });

  it('refuses unknown kinds and empty paths with CAMERA_SOURCE_INVALID and the accepted syntax', () => {
    for (const bad of ['webcam', 'v4l2:', 'file:', 'http://cam/x', '', 'rtsp://']) {
      expect(() => parseCameraSource(bad), bad).toThrow(expect.objectContaining({ code: 'CAMERA_SOURCE_INVALID', message: expect.stringContaining('rtsp://URL') }));
    }
  });

  it('never shows an RTSP password in descriptions', () => {
    const source = parseCameraSource('rtsp://admin:secret@10.0.0.2/live');
    expect(describeSource(source)).not.toContain('secret');
    expect(redactUrl('rtsp://admin:secret@10.0.0.2/live')).toBe('rtsp://admin:***@10.0.0.2/live');
  });
});

describe('capture settings', () => {
  it('accepts keyframe intervals of 1 to 20 s only, since one GOP is one KVS fragment', () => {
    expect(() => checkCaptureSettings({ gopSeconds: 1 })).not.toThrow();
    expect(() => checkCaptureSettings({ gopSeconds: 20 })).not.toThrow();
    expect(() => checkCaptureSettings({ gopSeconds: 0.5 })).toThrow(expect.objectContaining({ code: 'CAMERA_SOURCE_INVALID' }));
    expect(() => checkCaptureSettings({ gopSeconds: 30 })).toThrow(/1 to 20/);
  });

  it('wants width and height together and positive', () => {
    expect(() => checkCaptureSettings({ width: 640 })).toThrow(/both width and height/);
    expect(() => checkCaptureSettings({ width: 0, height: 480 })).toThrow(/width 0/);
    expect(() => checkCaptureSettings({ fps: 0 })).toThrow(/fps 0/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseV4l2Formats, pickV4l2InputFormat } from '../../../../src/sources/camera/v4l2-formats.js';

/** As libavdevice/v4l2.c list_formats prints it (format: "%s : %11s : %20s :" then the sizes). */
const UVC_LISTING = [
  '[video4linux2,v4l2 @ 0x55d0c0a3c8c0] Compressed:       mjpeg :          Motion-JPEG : 1920x1080 1280x720 640x480',
  '[video4linux2,v4l2 @ 0x55d0c0a3c8c0] Raw       :     yuyv422 :           YUYV 4:2:2 : 640x480 320x240',
  '/dev/video0: Immediate exit requested',
].join('\n');

describe('V4L2 format listing', () => {
  it('reads compressed and raw formats with their sizes', () => {
    expect(parseV4l2Formats(UVC_LISTING)).toEqual([
      { compressed: true, name: 'mjpeg', description: 'Motion-JPEG', sizes: ['1920x1080', '1280x720', '640x480'] },
      { compressed: false, name: 'yuyv422', description: 'YUYV 4:2:2', sizes: ['640x480', '320x240'] },
    ]);
  });

  it('prefers H.264 (copied, no encoding), then MJPEG, then YUYV', () => {
    const h264 = parseV4l2Formats(`${UVC_LISTING}\n[video4linux2,v4l2 @ 0x1] Compressed:        h264 :                H.264 : 1920x1080`);
    expect(pickV4l2InputFormat(h264)).toBe('h264');
    expect(pickV4l2InputFormat(parseV4l2Formats(UVC_LISTING))).toBe('mjpeg');
    expect(pickV4l2InputFormat(parseV4l2Formats(UVC_LISTING.split('\n')[1]!))).toBe('yuyv422');
    expect(pickV4l2InputFormat([])).toBeUndefined();
  });
});

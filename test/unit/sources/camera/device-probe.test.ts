import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasV4l2HardwareEncoder, probeDevicePath, probeInputFile } from '../../../../src/sources/camera/device-probe.js';

describe('device and file checks before capture', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kedge-probe-dev-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports CAMERA_NOT_FOUND for a /dev/videoN that does not exist, saying how to list cameras', async () => {
    await expect(probeDevicePath('/dev/video97')).rejects.toMatchObject({ code: 'CAMERA_NOT_FOUND', message: expect.stringContaining('v4l2-ctl --list-devices') });
  });

  it('accepts a character device', async () => {
    expect(await probeDevicePath('/dev/null')).toBe('device');
  });

  it('refuses a regular file as a camera, but accepts it as a recording where allowed', async () => {
    const file = join(dir, 'frames.raw');
    writeFileSync(file, Buffer.alloc(38_400));
    await expect(probeDevicePath(file)).rejects.toMatchObject({ code: 'CAMERA_NOT_FOUND', message: expect.stringContaining('not a video device') });
    expect(await probeDevicePath(file, { allowFile: true })).toBe('file');
  });

  it('reports SOURCE_FILE_NOT_FOUND for a missing or non-regular input file', async () => {
    await expect(probeInputFile(join(dir, 'missing.mp4'))).rejects.toMatchObject({ code: 'SOURCE_FILE_NOT_FOUND' });
    await expect(probeInputFile(dir)).rejects.toMatchObject({ code: 'SOURCE_FILE_NOT_FOUND' });
  });

  it('finds a V4L2 hardware H.264 encoder by its sysfs name, and none where there is only a camera', async () => {
    const sysfs = join(dir, 'video4linux');
    for (const [node, name] of [['video0', 'USB 2.0 Camera: USB Camera'], ['video11', 'bcm2835-codec-encode']] as const) {
      mkdirSync(join(sysfs, node), { recursive: true });
      writeFileSync(join(sysfs, node, 'name'), `${name}\n`);
    }
    expect(await hasV4l2HardwareEncoder(sysfs)).toBe(true);
    rmSync(join(sysfs, 'video11'), { recursive: true });
    expect(await hasV4l2HardwareEncoder(sysfs)).toBe(false);
    expect(await hasV4l2HardwareEncoder(join(dir, 'absent'))).toBe(false);
  });
});

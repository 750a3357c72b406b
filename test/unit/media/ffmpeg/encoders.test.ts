import { describe, expect, it } from 'vitest';
import { listEncoders, parseEncoderList } from '../../../../src/media/ffmpeg/encoders.js';

describe('encoder list', () => {
  it('reads encoder names from the table and not from the legend above it', () => {
    const text = [
      'Encoders:',
      ' V..... = Video',
      ' A..... = Audio',
      ' ------',
      ' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)',
      ' V..... h264_v4l2m2m         V4L2 mem2mem H.264 encoder wrapper (codec h264)',
      ' A....D aac                  AAC (Advanced Audio Coding)',
    ].join('\n');
    expect([...parseEncoderList(text)]).toEqual(['libx264', 'h264_v4l2m2m', 'aac']);
  });

  it("lists this machine's ffmpeg encoders, libx264 among them", async () => {
    const encoders = await listEncoders('ffmpeg');
    expect(encoders.has('libx264')).toBe(true);
    expect(encoders.has('=')).toBe(false);
  });

  it('returns an empty set for a binary that does not run', async () => {
    expect((await listEncoders('/nonexistent/ffmpeg')).size).toBe(0);
  });
});

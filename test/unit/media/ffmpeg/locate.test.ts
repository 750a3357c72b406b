import { describe, expect, it } from 'vitest';
import { locateFfmpeg } from '../../../../src/media/ffmpeg/locate.js';
import { runTool } from '../../../../src/media/ffmpeg/run-tool.js';

const reallyRuns = async (program: string): Promise<boolean> => (await runTool(program, ['-version'])).code === 0;

describe('locating ffmpeg and ffprobe', () => {
  it('uses the ffmpeg on PATH first', async () => {
    const found = await locateFfmpeg();
    expect(found).toMatchObject({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', ffmpegFrom: 'path', ffprobeFrom: 'path' });
  });

  it('falls back to the npm-shipped builds when PATH has none, and those builds run', async () => {
    const found = await locateFfmpeg({ runs: async (p) => (p === 'ffmpeg' || p === 'ffprobe' ? false : reallyRuns(p)) });
    expect(found.ffmpegFrom).toBe('npm');
    expect(found.ffprobeFrom).toBe('npm');
    expect(found.ffmpeg).toMatch(/@ffmpeg-installer/);
    expect(found.ffprobe).toMatch(/@ffprobe-installer/);
    expect(await reallyRuns(found.ffmpeg)).toBe(true);
  });

  it('prefers a configured path over PATH', async () => {
    const found = await locateFfmpeg({ ffmpegPath: '/usr/bin/ffmpeg', ffprobePath: '/usr/bin/ffprobe' });
    expect(found).toMatchObject({ ffmpeg: '/usr/bin/ffmpeg', ffmpegFrom: 'config', ffprobe: '/usr/bin/ffprobe', ffprobeFrom: 'config' });
  });

  it('fails with FFMPEG_NOT_FOUND naming a configured path that does not run, instead of falling back', async () => {
    await expect(locateFfmpeg({ ffmpegPath: '/opt/nowhere/ffmpeg' })).rejects.toMatchObject({ code: 'FFMPEG_NOT_FOUND', message: expect.stringContaining('/opt/nowhere/ffmpeg') });
  });

  it('fails with FFMPEG_NOT_FOUND when neither PATH nor the npm packages have one', async () => {
    await expect(locateFfmpeg({ runs: async () => false, npmPaths: () => ({ ffmpeg: undefined, ffprobe: undefined }) })).rejects.toMatchObject({
      code: 'FFMPEG_NOT_FOUND',
      message: expect.stringContaining('apt install ffmpeg'),
    });
  });

  it('reports FFPROBE_NOT_FOUND when only ffprobe is missing', async () => {
    await expect(locateFfmpeg({ runs: async (p) => p === 'ffmpeg', npmPaths: () => ({ ffmpeg: undefined, ffprobe: undefined }) })).rejects.toMatchObject({ code: 'FFPROBE_NOT_FOUND' });
  });
});

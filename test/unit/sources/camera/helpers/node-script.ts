import type { SupervisedCommand } from '../../../../../src/sources/camera/supervisor.js';

/** A node script as the capture process: stands in for ffmpeg in supervisor tests. */
export const nodeScript = (code: string, extra: Partial<SupervisedCommand> = {}): SupervisedCommand => ({
  program: process.execPath,
  args: ['-e', code],
  quitWithQ: true,
  endsAtCleanExit: false,
  ...extra,
});

/**
 * Runs a short-lived tool (`ffmpeg -version`, `ffmpeg -encoders`, `rpicam-vid --version`) to completion and
 * collects its output. Long-running capture processes are supervised elsewhere; this is for questions.
 */
import { spawn } from 'node:child_process';

export interface ToolResult {
  /** Exit code, or undefined when the process could not start (e.g. ENOENT) or died by a signal. */
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** Why it could not start (errno code such as ENOENT or EACCES), if it did not. */
  readonly spawnError: string | undefined;
}

/** Output beyond this is dropped: `-encoders` prints ~30 KB, nothing we ask needs more. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export function runTool(program: string, args: readonly string[], timeoutMs = 15_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (result: ToolResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // A tool that hangs (a camera stack waiting on hardware) must not hang the caller.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < MAX_OUTPUT_BYTES) stderr += s;
    });
    child.on('error', (error: NodeJS.ErrnoException) => finish({ code: undefined, stdout, stderr, spawnError: error.code ?? error.message }));
    child.on('close', (code) => finish({ code: code ?? undefined, stdout, stderr, spawnError: undefined }));
  });
}

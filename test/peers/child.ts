/**
 * A child process a test or the bench owns: spawned with piped output, kept in a bounded log tail for error
 * messages, awaited for a ready line, and always stopped (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildOptions {
  readonly cwd?: string;
  /** Added to the parent's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Shown in error messages. */
  readonly label: string;
}

/** Keep only the last few KiB of output: enough to explain a failure, bounded for long runs. */
const LOG_TAIL_BYTES = 8 * 1024;

export class OwnedChild {
  readonly process: ChildProcess;
  readonly label: string;
  private tail = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(command: string, args: readonly string[], options: ChildOptions) {
    this.label = options.label;
    this.process = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-LOG_TAIL_BYTES);
    };
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
    // If this process dies without stopping the child (an uncaught error, process.exit), take the child with it
    // rather than leave a server running, orphaned, on a port nobody knows.
    const killOnExit = (): void => {
      this.process.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        process.off('exit', killOnExit);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      // A spawn failure (ENOENT, ...) emits 'error' and no 'exit'.
      this.process.once('error', (err) => {
        process.off('exit', killOnExit);
        this.tail += `\n[spawn error] ${err.message}`;
        this.exitInfo = { code: -1, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get output(): string {
    return this.tail;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Resolves with the first stdout/stderr match of `pattern`; rejects on exit or after `timeoutMs`. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const existing = this.tail.match(pattern);
    if (existing) return existing;
    return new Promise((resolve, reject) => {
      let seen = '';
      const cleanup = (): void => {
        clearTimeout(timer);
        this.process.stdout?.off('data', onData);
        this.process.stderr?.off('data', onData);
        this.process.off('exit', onExit);
      };
      const onData = (chunk: Buffer): void => {
        seen += chunk.toString('utf8');
        const match = seen.match(pattern);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup();
        reject(new Error(`${this.label} exited (code ${code}, signal ${signal}) before printing ${pattern}:\n${this.tail}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.label} did not print ${pattern} within ${timeoutMs} ms:\n${this.tail}`));
      }, timeoutMs);
      this.process.stdout?.on('data', onData);
      this.process.stderr?.on('data', onData);
      this.process.once('exit', onExit);
      if (this.hasExited) onExit(this.exitInfo?.code ?? null, this.exitInfo?.signal ?? null);
    });
  }

  /** SIGKILL, the way a power cut or OOM kill ends a process: no shutdown hooks run. Waits for the exit. */
  async kill(): Promise<void> {
    if (this.hasExited) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }

  /** Polite stop: SIGTERM, then SIGKILL if it is still alive after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.hasExited) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }
}

/**
 * Polls `probe` until it resolves true, at most `timeoutMs`; `describe` explains the failure. `giveUp` ends the
 * wait early (e.g. the server process died), so a crash is reported at once instead of after the timeout.
 */
export async function pollUntil(
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; describe: () => string; giveUp?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (options.giveUp?.()) throw new Error(`gave up waiting: ${options.describe()}`);
    if (Date.now() >= deadline) throw new Error(`timed out after ${options.timeoutMs} ms: ${options.describe()}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

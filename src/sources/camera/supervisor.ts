/**
 * Runs a capture process (ffmpeg, rpicam-vid) and keeps it running.
 *
 * - stdout goes to `onStdout` as it arrives (the hot path: no parsing, no logging here).
 * - stderr is split into lines, checked for a known cause (`classifyStderr`) and logged with a rate limit.
 * - When the process dies it is restarted after an exponential backoff with jitter (clock, sleep and RNG
 *   injected). A run that lasted `healthyRunMs` with output resets the backoff, so a camera that fails
 *   once a day restarts quickly, and one that fails at once backs off to `capMs`.
 * - A permanent failure (missing device, 404, bad command) before any output ever arrived ends supervision
 *   with that failure (`done`), rather than restarting a command that cannot work, for ever and in silence.
 *   Once video has flowed, every failure is retried: a camera unplugged mid-flight may be plugged back.
 * - stop() ends the process gracefully: `q` on stdin (ffmpeg finishes the frame it has and exits), then
 *   SIGINT, SIGTERM and SIGKILL, each after a timeout. Cameras such as Reolink refuse reconnects for
 *   ~30 s after a session that was killed rather than torn down (device.md §2.4).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mathRng, systemClock, type Clock, type Rng, type Sleep } from '../../core/clock.js';
import { LineSplitter } from '../../media/ffmpeg/index.js';
import { backoffCeilingMs, timerSleep } from '../../retry/index.js';
import { RateLimitedStderrLog, silentLogger, type CaptureLogger, type StderrBudget } from './stderr-log.js';
import { openStdoutSocket, type StdoutSocket } from './stdout-socket.js';

export interface SupervisedCommand {
  readonly program: string;
  readonly args: readonly string[];
  /** Send `q` on stdin before any signal (ffmpeg). */
  readonly quitWithQ: boolean;
  /** Exit code 0 means the input is over: end supervision instead of restarting. */
  readonly endsAtCleanExit: boolean;
}

export interface ProcessFailure {
  readonly code: string;
  readonly message: string;
  /** Restarting cannot help until someone changes something. */
  readonly permanent: boolean;
}

export type StopStep = 'q' | 'SIGINT' | 'SIGTERM' | 'SIGKILL';

export type SupervisorEvent =
  | { readonly type: 'started'; readonly run: number; readonly pid: number }
  | {
      readonly type: 'exited';
      readonly run: number;
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly durationMs: number;
      readonly bytes: number;
      /** Undefined when the process was stopped or reached the end of its input. */
      readonly failure: ProcessFailure | undefined;
    }
  | { readonly type: 'restarting'; readonly attempt: number; readonly delayMs: number; readonly failure: ProcessFailure }
  | { readonly type: 'gave-up'; readonly failure: ProcessFailure }
  /** The input is over (a replay reached its end): no restart. */
  | { readonly type: 'ended' };

export interface StopTimeouts {
  /** After `q`, before SIGINT (default 3 s: ffmpeg finishes the frame and the muxer). */
  readonly quitMs: number;
  readonly interruptMs: number;
  readonly terminateMs: number;
  /** After SIGKILL, how long to wait for the exit to be reported. */
  readonly killMs: number;
}

export interface RestartBackoff {
  /** Ceiling of the first restart delay (default 500 ms); doubles per consecutive failure. */
  readonly baseMs?: number;
  /** Largest ceiling (default 30 s). */
  readonly capMs?: number;
  /** A run this long that produced output resets the backoff (default 10 s). */
  readonly healthyRunMs?: number;
}

export interface SupervisorOptions {
  readonly command: SupervisedCommand;
  readonly onStdout: (chunk: Buffer) => void;
  readonly onEvent?: (event: SupervisorEvent) => void;
  /** A stderr line that names the cause of a failure, as a failure; else undefined. */
  readonly classifyStderr?: (line: string) => ProcessFailure | undefined;
  /** The failure of a process that died without a classified line. */
  readonly describeExit?: (exitCode: number | null, signal: NodeJS.Signals | null, recentStderr: readonly string[]) => ProcessFailure;
  /** The failure when the program cannot be started at all (errno code, e.g. ENOENT). */
  readonly describeSpawnError?: (errno: string) => ProcessFailure;
  readonly logger?: CaptureLogger;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly rng?: Rng;
  readonly backoff?: RestartBackoff;
  readonly stderrBudget?: StderrBudget;
  readonly stopTimeouts?: Partial<StopTimeouts>;
  /** Give up on a permanent failure while no output has ever arrived (default true). */
  readonly failFast?: boolean;
  /**
   * Read stdout into one reused buffer of this many bytes (see stdout-socket.ts) instead of a fresh buffer
   * per read: the chunk given to onStdout is then valid only during the call. Default: fresh buffers.
   */
  readonly reuseStdoutBuffer?: number;
}

/** The supervisor options a camera passes through unchanged: how it times, retries, logs, stops and reads. */
export const SUPERVISION_TUNING_KEYS = ['logger', 'clock', 'sleep', 'rng', 'backoff', 'stderrBudget', 'stopTimeouts', 'reuseStdoutBuffer'] as const;
export type SupervisionTuning = Pick<SupervisorOptions, (typeof SUPERVISION_TUNING_KEYS)[number]>;

export type SupervisorState = 'idle' | 'running' | 'backing-off' | 'stopping' | 'stopped';

export interface SupervisorStats {
  readonly state: SupervisorState;
  readonly runs: number;
  readonly restarts: number;
  readonly pid: number | undefined;
  readonly bytes: number;
  readonly lastFailure: ProcessFailure | undefined;
  readonly stderrSuppressed: number;
  /** What ended the process at the last stop(). */
  readonly stoppedBy: StopStep | undefined;
}

/** stdin and stderr are always pipes; stdout is a pipe or the reused-buffer socket (then null). */
type CaptureChild = ChildProcess & { readonly stdin: Writable; readonly stderr: Readable };

const DEFAULT_STOP: StopTimeouts = { quitMs: 3_000, interruptMs: 3_000, terminateMs: 3_000, killMs: 5_000 };

function defaultDescribeExit(exitCode: number | null, signal: NodeJS.Signals | null, recent: readonly string[]): ProcessFailure {
  const how = signal !== null ? `was killed by ${signal}` : `exited with code ${exitCode}`;
  const last = recent.at(-1);
  return { code: 'PROCESS_EXITED', message: `The capture process ${how}${last === undefined ? '' : `: ${last}`}`, permanent: false };
}

interface RunOutcome {
  readonly failure: ProcessFailure | undefined;
  readonly cleanEnd: boolean;
  readonly healthy: boolean;
}

export class ProcessSupervisor {
  private readonly o: SupervisorOptions;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly rng: Rng;
  private readonly logger: CaptureLogger;
  private readonly stderrLog: RateLimitedStderrLog;
  private readonly stopTimeouts: StopTimeouts;
  private readonly abort = new AbortController();
  private child: CaptureChild | undefined;
  private loopPromise: Promise<ProcessFailure | undefined> | undefined;
  private state: SupervisorState = 'idle';
  private stopping = false;
  private runs = 0;
  private restarts = 0;
  private bytes = 0;
  private lastFailure: ProcessFailure | undefined;
  private stoppedBy: StopStep | undefined;

  constructor(options: SupervisorOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? timerSleep;
    this.rng = options.rng ?? mathRng;
    this.logger = options.logger ?? silentLogger;
    this.stderrLog = new RateLimitedStderrLog(this.logger, this.clock, { program: options.command.program }, options.stderrBudget);
    this.stopTimeouts = { ...DEFAULT_STOP, ...options.stopTimeouts };
  }

  /** Starts the process (and its restarts) in the background. */
  start(): void {
    this.loopPromise ??= this.loop();
  }

  /**
   * Settles when supervision is over: undefined after stop() or at the end of the input, or the permanent
   * failure it gave up on.
   */
  get done(): Promise<ProcessFailure | undefined> {
    return this.loopPromise ?? Promise.resolve(undefined);
  }

  stats(): SupervisorStats {
    return {
      state: this.state,
      runs: this.runs,
      restarts: this.restarts,
      pid: this.child?.pid,
      bytes: this.bytes,
      lastFailure: this.lastFailure,
      stderrSuppressed: this.stderrLog.suppressed,
      stoppedBy: this.stoppedBy,
    };
  }

  /** Stops restarting and ends the running process gracefully; resolves once it has exited. */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.abort.abort();
    }
    const child = this.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      this.state = 'stopping';
      await this.terminate(child);
    }
    await this.loopPromise;
    this.state = 'stopped';
  }

  private async loop(): Promise<ProcessFailure | undefined> {
    let attempt = 0;
    try {
      while (!this.stopping) {
        const outcome = await this.runOnce();
        if (this.stopping) return undefined;
        if (outcome.cleanEnd) {
          this.emit({ type: 'ended' });
          return undefined;
        }
        const failure = outcome.failure!;
        this.lastFailure = failure;
        if (failure.permanent && (this.o.failFast ?? true) && this.bytes === 0) {
          this.logger.error({ code: failure.code, program: this.o.command.program }, failure.message);
          this.emit({ type: 'gave-up', failure });
          return failure;
        }
        if (outcome.healthy) attempt = 0;
        const delayMs = this.restartDelay(attempt);
        this.logger.warn({ code: failure.code, attempt, delayMs }, `capture process failed, restarting: ${failure.message}`);
        this.emit({ type: 'restarting', attempt, delayMs, failure });
        this.state = 'backing-off';
        attempt += 1;
        this.restarts += 1;
        try {
          await this.sleep(delayMs, this.abort.signal);
        } catch {
          return undefined; // stop() aborted the wait
        }
      }
      return undefined;
    } finally {
      this.state = 'stopped';
    }
  }

  /**
   * Half the ceiling is fixed and half is random: never 0 (a command that fails at once must not be
   * respawned in a tight loop), and devices that failed together still spread out.
   */
  private restartDelay(attempt: number): number {
    const ceiling = backoffCeilingMs(attempt, this.o.backoff?.baseMs ?? 500, this.o.backoff?.capMs ?? 30_000);
    return Math.round(ceiling / 2 + (this.rng.next() * ceiling) / 2);
  }

  /** The reused-buffer stdout, or undefined for a pipe (also when the socket cannot be set up: a pipe still works). */
  private async openStdout(onChunk: (chunk: Buffer) => void): Promise<StdoutSocket | undefined> {
    const bytes = this.o.reuseStdoutBuffer;
    if (bytes === undefined) return undefined;
    try {
      return await openStdoutSocket(bytes, onChunk);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not set up the capture socket; reading stdout through a pipe');
      return undefined;
    }
  }

  private async runOnce(): Promise<RunOutcome> {
    const run = (this.runs += 1);
    const { command } = this.o;
    const startedAt = this.clock.now();
    let runBytes = 0;
    let classified: ProcessFailure | undefined;
    const lines = new LineSplitter();
    const lineScratch: string[] = [];
    const onLines = (out: string[]): void => {
      for (const line of out) {
        const failure = this.o.classifyStderr?.(line);
        // The first cause named is the root one; later lines are usually its consequences.
        if (failure !== undefined && classified === undefined) classified = failure;
        this.stderrLog.line(line, failure !== undefined);
      }
      out.length = 0;
    };

    const onStdout = (chunk: Buffer): void => {
      runBytes += chunk.length;
      this.bytes += chunk.length;
      this.o.onStdout(chunk);
    };
    const socket = await this.openStdout(onStdout);
    if (this.stopping) {
      // stop() came while the socket was set up: do not start a process only to stop it.
      socket?.destroy();
      return { failure: undefined, cleanEnd: false, healthy: false };
    }

    return new Promise<RunOutcome>((resolve) => {
      let settled = false;
      let child: CaptureChild;
      try {
        child = spawn(command.program, command.args, { stdio: ['pipe', socket?.childEnd ?? 'pipe', 'pipe'] }) as CaptureChild;
      } catch (error) {
        socket?.destroy(); // a bad argument: nothing may keep the socket, and the event loop, alive
        throw error;
      }
      // The child has its own copy of the socket's end now; ours would keep it open after the child exits.
      socket?.childEnd.destroy();
      this.child = child;
      const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnErrno?: string): void => {
        if (settled) return;
        settled = true;
        socket?.destroy();
        onLines(lines.end(lineScratch));
        this.stderrLog.flush();
        this.child = undefined;
        const durationMs = this.clock.now() - startedAt;
        let failure: ProcessFailure | undefined;
        let cleanEnd = false;
        if (spawnErrno !== undefined) {
          failure = this.o.describeSpawnError?.(spawnErrno) ?? { code: 'PROCESS_SPAWN_FAILED', message: `Could not start ${command.program}: ${spawnErrno}`, permanent: spawnErrno === 'ENOENT' || spawnErrno === 'EACCES' };
        } else if (!this.stopping) {
          cleanEnd = exitCode === 0 && command.endsAtCleanExit;
          if (!cleanEnd) failure = classified ?? (this.o.describeExit ?? defaultDescribeExit)(exitCode, signal, this.stderrLog.recent());
        }
        this.emit({ type: 'exited', run, exitCode, signal, durationMs, bytes: runBytes, failure });
        resolve({ failure, cleanEnd, healthy: runBytes > 0 && durationMs >= (this.o.backoff?.healthyRunMs ?? 10_000) });
      };
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (child.pid === undefined) finish(null, null, error.code ?? error.message);
      });
      // stdin errors (EPIPE once the process is gone) are expected; the exit tells what happened.
      child.stdin.on('error', () => {});
      child.stdout?.on('data', onStdout);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => onLines(lines.push(text, lineScratch)));
      // 'close' comes after a stdout pipe has delivered everything; a socket ends on its own, so it is
      // awaited too. Either way no video is lost at the end.
      child.on('close', (exitCode, signal) => {
        if (socket === undefined) finish(exitCode, signal);
        else void socket.ended.then(() => finish(exitCode, signal));
      });
      if (child.pid !== undefined) {
        this.state = 'running';
        this.emit({ type: 'started', run, pid: child.pid });
        // stop() may have been called between spawn() and here (it found no child then).
        if (this.stopping) void this.terminate(child);
      }
    });
  }

  private async terminate(child: CaptureChild): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    const steps: Array<[StopStep, number]> = [];
    if (this.o.command.quitWithQ) steps.push(['q', this.stopTimeouts.quitMs]);
    steps.push(['SIGINT', this.stopTimeouts.interruptMs], ['SIGTERM', this.stopTimeouts.terminateMs], ['SIGKILL', this.stopTimeouts.killMs]);
    for (const [step, waitMs] of steps) {
      if (step === 'q') {
        if (child.stdin.writable) child.stdin.write('q');
      } else {
        child.kill(step);
      }
      if (await exitsWithin(exited, waitMs)) {
        this.stoppedBy = step;
        return;
      }
    }
    this.logger.error({ pid: child.pid }, 'capture process did not exit even after SIGKILL');
  }

  private emit(event: SupervisorEvent): void {
    this.o.onEvent?.(event);
  }
}

/** Real time on purpose: escalation must happen even when the injected sleep is a test's instant one. */
function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

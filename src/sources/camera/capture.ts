/**
 * A camera as the pipeline sees it: `prepare()` decides the command (and fails at once, with a clear code,
 * when the device or file does not exist); `start()` runs it under the supervisor, handing H.264 Annex B
 * bytes to `onData` and telling `onRunStart`/`onRunEnd` where one process's stream ends and the next
 * begins (a restarted encoder starts a new stream, so a parser must not join the two).
 */
import type { LocateOptions } from '../../media/ffmpeg/index.js';
import type { CaptureCommand } from './commands.js';
import type { CameraError } from './errors.js';
import { describeExitFor, describeSpawnErrorFor, stderrClassifier, toCameraError } from './failures.js';
import { planCapture, type PlanProbes } from './plan.js';
import type { CameraSource, CaptureSettings } from './source-spec.js';
import { ProcessSupervisor, SUPERVISION_TUNING_KEYS, type SupervisionTuning, type SupervisorEvent, type SupervisorStats } from './supervisor.js';

export interface CameraCaptureOptions extends SupervisionTuning {
  readonly source: CameraSource;
  readonly settings?: CaptureSettings;
  readonly ffmpeg?: LocateOptions;
  /** A ready command instead of planning one (tests, or a command built by hand). */
  readonly command?: CaptureCommand;
  readonly probes?: Partial<PlanProbes>;
}

export interface CaptureHandlers {
  /**
   * Annex B bytes, in the chunks the pipe delivered. Called synchronously: keep it cheap. With
   * `reuseStdoutBuffer` the chunk is a view into one reused buffer, valid only during the call.
   */
  readonly onData: (chunk: Buffer) => void;
  /** A new process started: a new H.264 stream begins with the next bytes. */
  readonly onRunStart?: (run: number) => void;
  /** The process ended: `graceful` when it was stopped or reached the end of its input (its output is whole). */
  readonly onRunEnd?: (graceful: boolean) => void;
  readonly onEvent?: (event: SupervisorEvent) => void;
}

export class CameraCapture {
  private supervisor: ProcessSupervisor | undefined;

  private constructor(
    readonly command: CaptureCommand,
    private readonly options: CameraCaptureOptions,
  ) {}

  /** Plans the command; throws a CameraError (CAMERA_NOT_FOUND, SOURCE_FILE_NOT_FOUND...) when it cannot. */
  static async prepare(options: CameraCaptureOptions): Promise<CameraCapture> {
    const command =
      options.command ??
      (await planCapture({
        source: options.source,
        ...(options.settings === undefined ? {} : { settings: options.settings }),
        ...(options.ffmpeg === undefined ? {} : { ffmpeg: options.ffmpeg }),
        ...(options.probes === undefined ? {} : { probes: options.probes }),
      }));
    options.logger?.info({ program: command.program, args: command.args.join(' ') }, `capture: ${command.description}`);
    return new CameraCapture(command, options);
  }

  start(handlers: CaptureHandlers): void {
    if (this.supervisor !== undefined) return;
    const o = this.options;
    this.supervisor = new ProcessSupervisor({
      command: this.command,
      onStdout: handlers.onData,
      onEvent: (event) => {
        if (event.type === 'started') handlers.onRunStart?.(event.run);
        else if (event.type === 'exited') handlers.onRunEnd?.(event.failure === undefined);
        handlers.onEvent?.(event);
      },
      classifyStderr: stderrClassifier(o.source),
      describeExit: describeExitFor(o.source),
      describeSpawnError: describeSpawnErrorFor(this.command.program),
      ...pick(o, SUPERVISION_TUNING_KEYS),
    });
    this.supervisor.start();
  }

  /** Settles when capture is over: undefined after stop() or at the end of a replay, else the CameraError it gave up on. */
  get done(): Promise<CameraError | undefined> {
    return (this.supervisor?.done ?? Promise.resolve(undefined)).then((failure) => (failure === undefined ? undefined : toCameraError(failure)));
  }

  stats(): SupervisorStats | undefined {
    return this.supervisor?.stats();
  }

  async stop(): Promise<void> {
    await this.supervisor?.stop();
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

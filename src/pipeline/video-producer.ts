/**
 * The video producer: one camera to one Kinesis video stream.
 *
 *   camera (supervised ffmpeg / rpicam-vid) -> Annex B -> access units (capture-time stamps)
 *     -> GOP fragmenter -> MKV cluster -> fragment store (disk ring) -> PutMedia session (ACK-driven)
 *
 * Capture never waits for the network: a fragment is on disk (fsynced) about a millisecond after its last
 * frame, whatever the link does. Offline, the camera keeps recording into the bounded store; when the
 * link returns, the backlog is uploaded (oldest first by default) and every fragment is freed only when
 * the service says PERSISTED. A crash or reboot loses nothing the store holds: the next run sends it.
 *
 * This module only wires the parts (DESIGN.md §2: sources and sinks never import each other).
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { KedgeError } from '../core/errors.js';
import { AnnexBAccessUnitParser, type AccessUnit, type ParameterSets } from '../media/h264/index.js';
import { CameraCapture, parseCameraSource, silentLogger, type CameraError, type CaptureCommand, type CaptureLogger } from '../sources/camera/index.js';
import { BufferPool, KinesisVideoSink, type KinesisVideoError, type KvsDeliveryEvent } from '../sinks/kinesis-video/index.js';
import type { FlushResult, VideoProducerEvent, VideoProducerListener, VideoProducerStats } from './video-events.js';
import { GopFragmenter, type FragmenterOutput, type VideoFragment } from './video-fragmenter.js';
import { captureOptions, idleTimeoutMs, sinkOptions, type VideoProducer, type VideoProducerOptions } from './video-producer-options.js';

export type { FlushResult, VideoProducer, VideoProducerEvent, VideoProducerListener, VideoProducerOptions, VideoProducerStats };

export async function createVideoProducer(options: VideoProducerOptions): Promise<VideoProducer> {
  const source = typeof options.source === 'string' ? parseCameraSource(options.source) : options.source;
  const idleMs = idleTimeoutMs(options);
  // The camera first: a wrong device path fails here, before anything else is opened.
  const capture = await CameraCapture.prepare(captureOptions(options, source));
  const producer = new VideoProducerImpl(options, capture, idleMs);
  await producer.open();
  return producer;
}

class VideoProducerImpl implements VideoProducer {
  readonly command: CaptureCommand;
  readonly captureDone: Promise<CameraError | undefined>;
  private readonly clock: Clock;
  private readonly logger: CaptureLogger;
  private readonly listeners = new Set<VideoProducerListener>();
  private readonly fragmenter: GopFragmenter;
  /** Fragment buffers, reused: see video-mkv.ts and BufferPool. */
  private readonly buffers = new BufferPool();
  private readonly outputs: FragmenterOutput[] = [];
  private readonly units: AccessUnit[] = [];
  private parser: AnnexBAccessUnitParser;
  private sink!: KinesisVideoSink;
  /** Stores run in order: a header before the fragments that need it. One promise per fragment, not per frame. */
  private storeChain: Promise<void> = Promise.resolve();
  private idleTimer: ReturnType<typeof setInterval> | undefined;
  private resolveCaptureDone!: (error: CameraError | undefined) => void;
  private deliveryError: KinesisVideoError | undefined;
  private closed = false;
  private lastStoredTimecodeMs = Number.NEGATIVE_INFINITY;
  private bFramesWarned = false;
  private lastDataMs = Number.POSITIVE_INFINITY;
  /** The current silence has been handled (checkIdle runs once per silence). */
  private idleHandled = true;
  private lastParameterSets: ParameterSets | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly counts = {
    captured: 0,
    stored: 0,
    persisted: 0,
    evicted: 0,
    skipped: 0,
    dropped: 0,
    corrupt: 0,
    bytesCaptured: 0,
    ackErrors: 0,
    connections: 0,
    reconnects: 0,
    parseErrors: 0,
  };

  constructor(
    private readonly options: VideoProducerOptions,
    private readonly capture: CameraCapture,
    private readonly idleMs: number,
  ) {
    this.command = capture.command;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.fragmenter = new GopFragmenter({
      segmentUid: randomBytes(16),
      buffers: this.buffers,
      ...(options.fragments?.maxMs === undefined ? {} : { maxFragmentMs: options.fragments.maxMs }),
    });
    this.parser = this.newParser();
    this.captureDone = new Promise((resolve) => (this.resolveCaptureDone = resolve));
  }

  async open(): Promise<void> {
    this.sink = await KinesisVideoSink.open(sinkOptions(this.options, (event) => this.onDeliveryEvent(event)));
    void this.sink.done.then((error) => {
      if (error === undefined) return;
      this.deliveryError = error;
      this.emit({ type: 'delivery-stopped', error });
      this.wake();
    });
    this.capture.start({
      onData: (chunk) => this.onData(chunk),
      onRunStart: () => {
        this.fallbackParameterSets();
        this.parser = this.newParser();
      },
      onRunEnd: (graceful) => this.onRunEnd(graceful),
      onEvent: (event) => this.emit({ type: 'camera', event }),
    });
    void this.capture.done.then((error) => {
      this.resolveCaptureDone(error);
      this.emit({ type: 'capture-ended', error });
    });
    // One coarse timer for the idle check, not one per frame.
    this.idleTimer = setInterval(() => this.checkIdle(), Math.max(100, Math.floor(this.idleMs / 4)));
    this.idleTimer.unref();
  }

  on(listener: VideoProducerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: VideoProducerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /**
   * copyInput: the camera's chunks are views into one reused read buffer (captureOptions), so the parser
   * keeps copies; its access units are valid until the next push, and take() consumes them before that.
   */
  private newParser(): AnnexBAccessUnitParser {
    return new AnnexBAccessUnitParser({ timestamps: { kind: 'clock', clock: this.clock }, copyInput: true });
  }

  /**
   * For a keyframe without SPS/PPS of its own: the current parser's, else the last ones seen (a restarted
   * or reset parser has none yet). Asked only for such keyframes, not per frame.
   */
  private readonly fallbackParameterSets = (): ParameterSets | undefined => {
    const current = this.parser.parameterSets();
    if (current !== undefined) this.lastParameterSets = current;
    return this.lastParameterSets;
  };

  /** The hot path: once per stdout chunk (valid only during this call). */
  private onData(chunk: Buffer): void {
    this.counts.bytesCaptured += chunk.length;
    this.idleHandled = false;
    try {
      this.parser.push(chunk, this.units);
    } catch (error) {
      // Not H.264 (or damaged beyond the parser's bounds): start over at the next start code and keyframe.
      this.counts.parseErrors += 1;
      this.logger.error({ err: error }, 'capture output is not H.264 the parser can use; skipping to the next keyframe');
      this.parser = this.newParser();
      this.fragmenter.flush(this.outputs);
    }
    this.take();
  }

  private take(): void {
    const now = this.clock.now();
    this.lastDataMs = now;
    for (const au of this.units) {
      if (au.bidirectional && !this.bFramesWarned) {
        this.bFramesWarned = true;
        this.logger.warn({}, 'the camera sends B-frames; KVS and kedge expect none (encode with -bf 0, or set the camera to baseline/main without B-frames)');
      }
      this.fragmenter.push(au, this.fallbackParameterSets, this.outputs);
    }
    this.units.length = 0;
    if (this.outputs.length > 0) this.handleOutputs();
  }

  private onRunEnd(graceful: boolean): void {
    // A process that exited cleanly wrote whole frames: its last one is complete. After a crash the last
    // access unit may be cut short, so it is left out.
    if (graceful) {
      this.parser.end(this.units);
      this.take();
    }
    this.fragmenter.flush(this.outputs);
    this.handleOutputs();
  }

  /**
   * No bytes for idleMs: the camera stalled. Its last frame is still in the parser (a frame is known to be
   * complete only when the next one starts), so the parser is ended and replaced, and the open fragment is
   * closed and stored now instead of when (if ever) the next keyframe comes.
   */
  private checkIdle(): void {
    if (this.idleHandled || this.clock.now() - this.lastDataMs < this.idleMs) return;
    this.idleHandled = true;
    this.parser.end(this.units);
    this.parser = this.newParser();
    this.take();
    this.fragmenter.flush(this.outputs, 'idle');
    if (this.outputs.length > 0) this.handleOutputs();
  }

  private handleOutputs(): void {
    for (const output of this.outputs) {
      if (output.kind === 'header') {
        const { header } = output;
        this.emit({ type: 'header', width: header.width, height: header.height });
        this.enqueue(() => this.sink.putHeader(header.bytes));
      } else {
        const { fragment } = output;
        this.counts.captured += 1;
        this.emit({ type: 'fragment-captured', timecodeMs: fragment.timecodeMs, durationMs: fragment.durationMs, frames: fragment.frames, bytes: fragment.bytes.length });
        this.enqueue(() => this.store(fragment));
      }
    }
    this.outputs.length = 0;
  }

  private enqueue(task: () => Promise<unknown>): void {
    this.storeChain = this.storeChain.then(task).then(
      () => undefined,
      (error: unknown) => {
        this.logger.error({ err: error }, 'could not store the video stream header');
      },
    );
  }

  private async store(fragment: VideoFragment): Promise<void> {
    try {
      const stored = await this.sink.putFragment(fragment.bytes, { fragmentTimecodeMs: fragment.timecodeMs, durationMs: fragment.durationMs, keyframe: true });
      this.counts.stored += 1;
      this.lastStoredTimecodeMs = fragment.timecodeMs;
      this.emit({ type: 'fragment-stored', seq: stored.seq, timecodeMs: fragment.timecodeMs });
    } catch (error) {
      this.counts.dropped += 1;
      this.logger.error({ err: error, timecodeMs: fragment.timecodeMs }, 'could not store a video fragment; it is lost');
      this.emit({ type: 'fragment-dropped', timecodeMs: fragment.timecodeMs, error: error as Error });
    } finally {
      // The store has written (or refused) the bytes and keeps no reference to them.
      this.buffers.release(fragment.bytes);
    }
  }

  private onDeliveryEvent(event: KvsDeliveryEvent): void {
    switch (event.type) {
      case 'freed': {
        const f = event.fragment;
        if (event.reason === 'skipped') {
          this.counts.skipped += 1;
          this.emit({ type: 'fragment-skipped', seq: f.seq, timecodeMs: f.fragmentTimecodeMs, reason: event.detail ?? 'skipped' });
        } else {
          this.counts.persisted += 1;
          this.emit({ type: 'fragment-persisted', seq: f.seq, timecodeMs: f.fragmentTimecodeMs, latencyMs: this.clock.now() - f.fragmentTimecodeMs });
        }
        this.wake();
        return;
      }
      case 'evicted':
        this.counts.evicted += 1;
        this.emit({ type: 'fragment-evicted', seq: event.fragment.seq, timecodeMs: event.fragment.fragmentTimecodeMs, cause: event.cause });
        this.wake();
        return;
      case 'corrupt':
        this.counts.corrupt += 1;
        this.wake();
        return;
      case 'error-ack':
        this.counts.ackErrors += 1;
        this.emit({ type: 'ack-error', errorId: event.ack.errorId, errorCode: event.ack.errorCode, timecodeMs: event.ack.fragmentTimecode });
        return;
      case 'connected':
        this.counts.connections += 1;
        this.emit({ type: 'connected', connection: event.connectionId });
        return;
      case 'retrying':
        this.counts.reconnects += 1;
        this.emit({ type: 'reconnecting', attempt: event.attempt, delayMs: event.delayMs, error: event.error });
        return;
      default:
        return;
    }
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  async flush(signal?: AbortSignal): Promise<FlushResult> {
    await this.storeChain;
    const target = this.lastStoredTimecodeMs;
    const settled = (): boolean => {
      const oldest = this.sink.stats().store.oldestTimecodeMs;
      return oldest === undefined || oldest > target;
    };
    while (!settled()) {
      if (this.closed) throw new KedgeError('VIDEO_PRODUCER_CLOSED', 'The video producer was closed before its fragments were confirmed; they stay in the store for the next run.');
      if (this.deliveryError !== undefined) throw this.deliveryError;
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    return {
      persisted: this.counts.persisted,
      evicted: this.counts.evicted,
      skipped: this.counts.skipped,
      dropped: this.counts.dropped,
      corrupt: this.counts.corrupt,
    };
  }

  stats(): VideoProducerStats {
    const sink = this.sink.stats();
    const camera = this.capture.stats();
    const c = this.counts;
    return {
      fragments: {
        captured: c.captured,
        stored: c.stored,
        persisted: c.persisted,
        evicted: c.evicted,
        skipped: c.skipped,
        dropped: c.dropped,
        corrupt: c.corrupt,
        pending: sink.store.fragments,
      },
      frames: this.fragmenter.stats(),
      bytesCaptured: c.bytesCaptured,
      ackErrors: c.ackErrors,
      connections: c.connections,
      reconnects: c.reconnects,
      camera: { state: camera?.state ?? 'idle', runs: camera?.runs ?? 0, restarts: camera?.restarts ?? 0, lastError: camera?.lastFailure?.code },
      store: { fragments: sink.store.fragments, bytes: sink.store.bytes, durationMs: sink.store.durationMs },
      delivery: { state: sink.sender.state, lastError: sink.sender.lastError?.code },
    };
  }

  async stopCapture(): Promise<void> {
    await this.capture.stop();
    // onRunEnd has flushed the fragmenter; a fragment still open (no run ended it) is closed here.
    this.fragmenter.flush(this.outputs);
    this.handleOutputs();
    await this.storeChain;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer !== undefined) clearInterval(this.idleTimer);
    await this.stopCapture();
    await this.sink.close();
    this.wake();
  }
}

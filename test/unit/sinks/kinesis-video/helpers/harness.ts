/**
 * Wires a real KinesisVideoSink to a fake control plane and a fake PutMedia server on 127.0.0.1, with fake
 * time, a seeded RNG and a temp store directory. `close()` releases everything.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rng } from '../../../../../src/core/clock.js';
import { staticCredentials } from '../../../../../src/aws/credentials.js';
import { KinesisVideoSink, type KinesisVideoSinkOptions } from '../../../../../src/sinks/kinesis-video/sink.js';
import { EventLog } from './events.js';
import { FakeKvsControlPlane } from './fake-control-plane.js';
import { FakePutMediaServer, type FakePutMediaServerOptions } from './fake-put-media-server.js';
import { FakeTime, seededRng } from './fake-time.js';
import { FRAGMENT_MS, tcOf, testCluster, testStreamHeader } from './test-media.js';

export interface HarnessOptions {
  readonly server?: FakePutMediaServerOptions;
  /** Retention of the stream the control plane knows (default 24 h); undefined stream with `noStream`. */
  readonly retentionHours?: number;
  readonly noStream?: boolean;
  readonly sink?: Partial<KinesisVideoSinkOptions>;
  readonly rng?: Rng;
  /** Start with the PutMedia server down (connection refused). */
  readonly serverDown?: boolean;
  /** Reuse a store directory (restart tests). */
  readonly dir?: string;
  /** Store bounds (default 50 MB / 1 h). */
  readonly store?: { readonly maxBytes?: number; readonly maxDurationMs?: number };
  /** DescribeStream calls a created stream stays CREATING (default 0). */
  readonly describesUntilActiveOnCreate?: number;
}

export class Harness {
  readonly events = new EventLog();
  sink!: KinesisVideoSink;

  private constructor(
    readonly time: FakeTime,
    readonly server: FakePutMediaServer,
    readonly controlPlane: FakeKvsControlPlane,
    readonly dir: string,
    private readonly ownsDir: boolean,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const time = new FakeTime();
    // The control plane takes its port first: started after a PutMedia server that was stopped again
    // (serverDown), port 0 could hand it that very port, and PutMedia would then reach the control plane.
    const controlPlane = new FakeKvsControlPlane();
    await controlPlane.start();
    const server = new FakePutMediaServer(options.server);
    await server.start();
    if (options.serverDown) await server.stop();
    controlPlane.dataEndpoint = server.url;
    controlPlane.describesUntilActiveOnCreate = options.describesUntilActiveOnCreate ?? 0;
    if (!options.noStream) controlPlane.addStream('cam-1', options.retentionHours ?? 24);
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'kedge-kvs-delivery-')));
    const h = new Harness(time, server, controlPlane, dir, options.dir === undefined);
    await h.openSink(options);
    return h;
  }

  async openSink(options: HarnessOptions = {}): Promise<KinesisVideoSink> {
    this.sink = await KinesisVideoSink.open({
      stream: { streamName: 'cam-1' },
      region: 'us-east-1',
      endpoint: this.controlPlane.url,
      credentials: staticCredentials({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }),
      controlPlaneMaxAttempts: 1,
      store: { dir: this.dir, maxBytes: options.store?.maxBytes ?? 50_000_000, maxDurationMs: options.store?.maxDurationMs ?? 3_600_000, fsync: 'never' },
      clock: this.time.clock,
      sleep: this.time.sleep,
      rng: options.rng ?? seededRng(7),
      onEvent: this.events.listener,
      ...options.sink,
    });
    return this.sink;
  }

  async header(label?: string): Promise<void> {
    await this.sink.putHeader(testStreamHeader(label));
  }

  /** Appends test fragments i in [from, from+count), 2 s apart (clusters of unknown size with `unknownSize`). */
  async append(from: number, count = 1, bytes = 2000, unknownSize = false): Promise<void> {
    for (let i = from; i < from + count; i += 1) {
      await this.sink.putFragment(testCluster(tcOf(i), bytes, tcOf(i), unknownSize), { fragmentTimecodeMs: tcOf(i), durationMs: FRAGMENT_MS, keyframe: true });
    }
  }

  /** Waits for the next backoff and lets it run out; returns its delay. */
  async passBackoff(nth: number): Promise<number> {
    const retry = await this.events.next('retrying', () => true, nth);
    await this.time.advance(retry.delayMs);
    return retry.delayMs;
  }

  /** Resolves once `n` fragments have been freed for `reason` in total. */
  async freed(n: number, reason: 'persisted' | 'received' | 'skipped' = 'persisted'): Promise<void> {
    await this.events.until(() => this.events.of('freed').filter((e) => e.reason === reason).length >= n);
  }

  /**
   * Moves fake time on one second at a time, giving real I/O a few milliseconds between steps: for
   * periods in which a connection must end cleanly over real TCP (rotation, drain) before a fake-time
   * deadline, however loaded the machine is.
   */
  async advanceWithIo(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 1_000) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await this.time.advance(Math.min(1_000, left));
    }
  }

  /** Closes the sink, moving fake time on so that a drain waiting for ACKs that never come ends. */
  async closeSink(): Promise<void> {
    let closed = false;
    const closing = this.sink.close().finally(() => (closed = true));
    // Between fake seconds, give real I/O a few milliseconds: the body's end must reach the fake server
    // over real TCP before the drain deadline (fake time) runs out, however loaded the machine is.
    for (let i = 0; i < 600 && !closed; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await this.time.advance(1_000);
    }
    await closing;
  }

  async close(): Promise<void> {
    await this.closeSink();
    await this.server.close();
    await this.controlPlane.close();
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}

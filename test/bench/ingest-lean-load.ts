/**
 * The lean load generator, seen from the bench: one child process (ingest-lean-worker.ts) shared by every
 * target, told over IPC what slice to run against which target, and a LoadDriver per target on top of it.
 * Server-bound: its client costs ~1/10 of the SDK's per request, and in a process of its own, so the numbers
 * show what the servers can do rather than what the SDK client can push on a 2-core machine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadDriver, LoadShape, SliceBounds, SliceReport } from './ingest-driver.js';
import { processCpuSeconds } from './process-cpu.js';

export type LeanCommand =
  | { readonly id: number; readonly kind: 'init'; readonly stream: string; readonly poolSize: number; readonly recordsPerRequest: number; readonly recordBytes: number }
  | {
      readonly id: number;
      readonly kind: 'put';
      readonly url: string;
      readonly concurrency: number;
      readonly maxRequests: number;
      readonly maxMs: number;
      readonly graceMs: number;
    }
  | {
      readonly id: number;
      readonly kind: 'get';
      readonly url: string;
      readonly concurrency: number;
      readonly shardIds: readonly string[];
      readonly limit: number;
      readonly maxMs: number;
      readonly graceMs: number;
    }
  | { readonly id: number; readonly kind: 'forget'; readonly url: string };

/** The answer to command `id` (id 0: the worker is ready). */
export interface LeanReply {
  readonly id: number;
  readonly report?: SliceReport;
  readonly error?: string;
}

type Pending = { resolve: (reply: LeanReply) => void; reject: (err: Error) => void };

const workerPath = fileURLToPath(new URL('./ingest-lean-worker.ts', import.meta.url));
/** Building 16 bodies of 500 KiB random data takes well under a second; this only catches a stuck worker. */
const READY_TIMEOUT_MS = 30_000;

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export class LeanLoadClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: LeanReply) => {
      const p = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      p?.resolve(reply);
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`lean load worker exited (code ${code}, signal ${signal})`));
      this.pending.clear();
    });
  }

  /** Forks the worker and has it build its PutRecords bodies (before any timing starts). */
  static async start(shape: LoadShape): Promise<LeanLoadClient> {
    // tsx, as the bench itself runs: the worker is TypeScript like the rest of the bench.
    const child = fork(workerPath, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    // If the bench dies without closing it, take the worker along (it also exits when IPC disconnects).
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const client = new LeanLoadClient(child);
    try {
      await client.awaitReply(0, READY_TIMEOUT_MS);
      await client.call({ kind: 'init', stream: shape.stream, poolSize: shape.poolSize, recordsPerRequest: shape.recordsPerRequest, recordBytes: shape.recordBytes }, READY_TIMEOUT_MS);
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** A driver for the target at `url`; every driver shares this worker, one slice at a time. */
  driver(url: string, shape: LoadShape, shardIds: readonly string[]): LoadDriver {
    const sliceTimeout = (bounds: SliceBounds): number => bounds.maxMs + bounds.graceMs + 30_000;
    return {
      put: async (maxRequests, bounds) =>
        this.sliceReport(
          await this.call({ kind: 'put', url, concurrency: shape.concurrency, maxRequests, maxMs: bounds.maxMs, graceMs: bounds.graceMs }, sliceTimeout(bounds)),
        ),
      get: async (bounds) =>
        this.sliceReport(
          await this.call(
            { kind: 'get', url, concurrency: shape.concurrency, shardIds, limit: shape.getLimit, maxMs: bounds.maxMs, graceMs: bounds.graceMs },
            sliceTimeout(bounds),
          ),
        ),
      clientCpuSeconds: () => processCpuSeconds(this.child.pid),
      close: async () => {
        if (!this.exited) await this.call({ kind: 'forget', url }, 10_000);
      },
    };
  }

  /** Disconnecting makes the worker exit; SIGKILL if it has not within a few seconds. */
  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }

  private sliceReport(reply: LeanReply): SliceReport {
    if (reply.error !== undefined || reply.report === undefined) throw new Error(`lean load worker: ${reply.error ?? 'no report'}`);
    return reply.report;
  }

  private call(command: DistributiveOmit<LeanCommand, 'id'>, timeoutMs: number): Promise<LeanReply> {
    const id = this.nextId++;
    const reply = this.awaitReply(id, timeoutMs);
    this.child.send({ ...command, id });
    return reply;
  }

  private awaitReply(id: number, timeoutMs: number): Promise<LeanReply> {
    if (this.exited) return Promise.reject(new Error('lean load worker is not running'));
    return new Promise<LeanReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`lean load worker did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          if (reply.error !== undefined && reply.report === undefined && id !== 0) reject(new Error(`lean load worker: ${reply.error}`));
          else resolve(reply);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }
}

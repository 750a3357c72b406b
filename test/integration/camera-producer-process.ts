/**
 * Runs camera-producer-child.mjs and talks to it: events arrive in `events`, commands return promises.
 * close() asks the child to close, and kills it (SIGKILL) if it does not exit in time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FlushResult, VideoProducerEvent, VideoProducerStats } from '../../src/pipeline/video-events.js';

const CHILD = fileURLToPath(new URL('./camera-producer-child.mjs', import.meta.url));
const SOURCE_INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

export interface ProducerProcessOptions {
  /** `source` (default): src/index.ts through tsx; otherwise a path to a built module exporting createVideoProducer. */
  readonly module?: 'source' | string;
  /** Extra `node` flags for the child. */
  readonly nodeArgs?: readonly string[];
}

export class ProducerProcess {
  readonly events: VideoProducerEvent[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (m: { type: string; id?: number; value?: unknown; error?: { message: string; code?: string }; event?: VideoProducerEvent }) => {
      if (m.type === 'event') this.events.push(m.event!);
      if (m.type === 'reply') {
        const p = this.pending.get(m.id!);
        this.pending.delete(m.id!);
        if (m.error) p?.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
        else p?.resolve(m.value);
      }
    });
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error('the producer process exited'));
      this.pending.clear();
    });
  }

  static async start(options: Record<string, unknown>, processOptions: ProducerProcessOptions = {}): Promise<ProducerProcess> {
    const module = processOptions.module ?? 'source';
    const execArgv = [...(processOptions.nodeArgs ?? []), ...(module === 'source' ? ['--import', 'tsx'] : [])];
    const child = fork(CHILD, [module === 'source' ? SOURCE_INDEX : module, JSON.stringify(options)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const p = new ProducerProcess(child);
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type: string; error?: { message: string; code?: string } }) => {
        if (m.type === 'ready') resolve();
        if (m.type === 'failed') reject(Object.assign(new Error(m.error!.message), { code: m.error!.code }));
      });
      void p.exited.then((code) => reject(new Error(`the producer process exited (${code}) before it was ready`)));
    });
    return p;
  }

  get pid(): number {
    return this.child.pid!;
  }

  private call<T>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...extra });
    });
  }

  stats(): Promise<VideoProducerStats> {
    return this.call('stats');
  }

  stopCapture(): Promise<void> {
    return this.call('stopCapture');
  }

  flush(timeoutMs: number): Promise<FlushResult> {
    return this.call('flush', { timeoutMs });
  }

  usage(): Promise<{ cpu: NodeJS.CpuUsage; memory: NodeJS.MemoryUsage }> {
    return this.call('usage');
  }

  /** Closes the producer; SIGKILL after `graceMs` if it does not exit (e.g. its event loop is stuck). */
  async close(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    this.call('close').catch(() => {});
    await this.exited;
    clearTimeout(timer);
  }
}

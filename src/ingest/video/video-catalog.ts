/**
 * The streams and what runs on them: the registry (control-plane state), each stream's fragment store
 * (opened on first use, under `<dir>/streams/<name>/`), the PutMedia upload running on each stream (one at
 * a time, as the service allows) and the TPS gate. Every part of the service goes through it.
 */
import { join } from 'node:path';
import type { Clock, Rng } from '../../core/clock.js';
import type { AckErrorKind } from './ack.js';
import { resourceInUse, resourceNotFound } from './errors.js';
import { FragmentStore } from './fragment-store.js';
import type { StreamRef } from './input.js';
import type { VideoStreamInfo } from './model.js';
import { StreamRegistry } from './stream-registry.js';
import { TpsGate } from './tps-gate.js';

export interface VideoCatalogOptions {
  /** `<dataDir>/video`; undefined: memory only. */
  readonly dir: string | undefined;
  readonly clock: Clock;
  readonly rng: Rng;
  /** Memory mode: fragment bytes held per stream before the oldest go. */
  readonly memoryLimitBytes: number;
  /** Enforce the service's TPS limits. */
  readonly limits: boolean;
}

/** What the catalog can do to a running PutMedia upload. */
export interface ActiveUpload {
  fail(error: AckErrorKind): void;
}

/** Stream names may be `.` or `..`: a leading dot is escaped so a name never walks the directory tree. */
function streamDirName(name: string): string {
  return name.startsWith('.') ? `%2E${name.slice(1)}` : name;
}

export class VideoCatalog {
  readonly registry: StreamRegistry;
  readonly gate: TpsGate;
  /** The target's own URL, which GetDataEndpoint and HLS session URLs hand out. */
  endpoint: string | undefined;
  private readonly stores = new Map<string, FragmentStore>();
  private readonly uploads = new Map<string, ActiveUpload>();
  private readonly deleting = new Set<string>();

  constructor(private readonly o: VideoCatalogOptions) {
    this.registry = StreamRegistry.open(o.dir, o.rng);
    this.gate = new TpsGate(o.limits);
  }

  get clock(): Clock {
    return this.o.clock;
  }

  /** The stream a call names, else ResourceNotFoundException (also when the ARN is of an older stream of that name). */
  find(ref: StreamRef): VideoStreamInfo {
    const info = this.registry.get(ref.name);
    if (info === undefined || (ref.arn !== undefined && ref.arn !== info.arn) || this.deleting.has(ref.name)) throw resourceNotFound();
    return info;
  }

  /** The stream's fragments, trimmed to its retention as of now. */
  store(info: VideoStreamInfo): FragmentStore {
    let store = this.stores.get(info.name);
    if (store === undefined) {
      store = FragmentStore.open({
        dir: this.o.dir === undefined ? undefined : join(this.o.dir, 'streams', streamDirName(info.name)),
        streamCreationMs: info.creationTimeMs,
        memoryLimitBytes: this.o.memoryLimitBytes,
      });
      this.stores.set(info.name, store);
    }
    store.trim(this.o.clock.now(), info.dataRetentionInHours);
    return store;
  }

  /** CreateStream refuses a name whose deletion is still running, as AWS does while a stream is DELETING. */
  checkNameFree(name: string): void {
    if (this.registry.get(name) !== undefined || this.deleting.has(name)) throw resourceInUse(`The stream ${name} already exists.`);
  }

  /** DeleteStream: the stream disappears at once; a running upload gets `error`; its data is deleted. */
  async remove(info: VideoStreamInfo, error: AckErrorKind): Promise<void> {
    this.deleting.add(info.name);
    try {
      this.registry.delete(info.name);
      this.uploads.get(info.name)?.fail(error);
      this.gate.forget(`${info.name}/`);
      const store = this.stores.get(info.name) ?? this.store(info);
      this.stores.delete(info.name);
      await store.destroy();
    } finally {
      this.deleting.delete(info.name);
    }
  }

  /** Registers the stream's PutMedia upload; false when one is already running. */
  claimUpload(name: string, upload: ActiveUpload): boolean {
    if (this.uploads.has(name)) return false;
    this.uploads.set(name, upload);
    return true;
  }

  releaseUpload(name: string, upload: ActiveUpload): void {
    if (this.uploads.get(name) === upload) this.uploads.delete(name);
  }

  /** Closes every store (waking live readers) and the registry. */
  async close(): Promise<void> {
    for (const store of this.stores.values()) await store.close();
    this.stores.clear();
    this.registry.close();
  }
}

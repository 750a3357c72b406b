/**
 * Everything the operations share: the streams (by region and name, and by id), the store, the injected
 * clock/RNG, limits and fault settings, and the codecs for iterators and page tokens.
 */
import type { Clock, Rng } from '../../core/clock.js';
import { Md5 } from '../../pipeline/aggregation/md5.js';
import { invalidArgument, resourceInUse, resourceNotFound, ServiceError } from '../server/service-error.js';
import type { OperationContext } from '../server/types.js';
import { Stream, type Shard } from './model.js';
import { PageTokenCodec } from './page-token.js';
import type { StreamStore } from './persistence.js';
import { ShardIteratorCodec } from './shard-iterator.js';
import { parseStreamArn, type StreamRef } from './validation.js';

export interface StreamsSettings {
  readonly clock: Clock;
  readonly rng: Rng;
  /** Enforce per-shard throughput and control-plane rates as AWS does. */
  readonly limits: boolean;
  /** 0..1: share of writes that fail with InternalFailure or a throttle (half each). */
  readonly faultRate: number;
  readonly accountId: string;
  readonly defaultRegion: string;
  /** Open shards per account and region. */
  readonly shardLimit: number;
  /** How long a new stream stays CREATING (0: ACTIVE at once). */
  readonly createDelayMs: number;
  /** How long a stream stays UPDATING after a reshard or retention change (0: not at all). */
  readonly updateDelayMs: number;
}

export class StreamsState {
  private readonly byKey = new Map<string, Stream>();
  private nextStreamId = 1;
  /** CreateStream calls in the current second, for the 5 TPS control-plane limit. */
  private createSecond = -1;
  private createCalls = 0;
  readonly iterators: ShardIteratorCodec;
  readonly tokens: PageTokenCodec;
  /** Hot-path scratch for routing partition keys (single-threaded: used and overwritten per record). */
  readonly md5 = new Md5();
  readonly hashKeyScratch = Buffer.alloc(16);

  constructor(
    readonly settings: StreamsSettings,
    readonly store: StreamStore,
    readonly byId: Map<number, Stream>,
    secret: Buffer,
  ) {
    this.iterators = new ShardIteratorCodec(secret);
    this.tokens = new PageTokenCodec(secret);
    for (const stream of byId.values()) {
      this.byKey.set(keyOf(stream.region, stream.name), stream);
      this.nextStreamId = Math.max(this.nextStreamId, stream.id + 1);
    }
  }

  now(): number {
    return this.settings.clock.now();
  }

  get accountId(): string {
    return this.settings.accountId;
  }

  regionOf(ctx: OperationContext | undefined): string {
    return ctx?.region || this.settings.defaultRegion;
  }

  find(region: string, name: string): Stream | undefined {
    return this.byKey.get(keyOf(region, name));
  }

  streamNotFound(name: string, accountId = this.accountId): ServiceError {
    return resourceNotFound(`Stream ${name} under account ${accountId} not found.`);
  }

  /** The stream a request names by StreamName and/or StreamARN. */
  resolve(ref: StreamRef, ctx: OperationContext | undefined): Stream {
    let stream: Stream | undefined;
    if (ref.arn !== undefined) {
      const arn = parseStreamArn(ref.arn);
      if (ref.name !== undefined && ref.name !== arn.name) {
        throw invalidArgument(`StreamName ${ref.name} and StreamARN ${ref.arn} name different streams; give one of them, or both naming the same stream.`);
      }
      if (arn.accountId !== this.accountId) throw this.streamNotFound(arn.name, arn.accountId);
      stream = this.find(arn.region, arn.name);
      if (!stream) throw this.streamNotFound(arn.name);
      return stream;
    }
    if (ref.name === undefined) throw invalidArgument('Neither StreamARN nor StreamName was provided. Give one of them (StreamARN is recommended).');
    stream = this.find(this.regionOf(ctx), ref.name);
    if (!stream) throw this.streamNotFound(ref.name);
    return stream;
  }

  /** Like `resolve`, for data-plane calls: a stream that is still CREATING is not found yet, as on AWS. */
  resolveWritable(ref: StreamRef, ctx: OperationContext | undefined, nowMs: number): Stream {
    const stream = this.resolve(ref, ctx);
    if (stream.status(nowMs) === 'CREATING') throw this.streamNotFound(stream.name);
    return stream;
  }

  /** Control-plane changes need an ACTIVE stream. */
  requireActive(stream: Stream, nowMs: number): void {
    const status = stream.status(nowMs);
    if (status !== 'ACTIVE') {
      throw resourceInUse(`Stream ${stream.name} under account ${this.accountId} not ACTIVE, instead in state ${status}`);
    }
  }

  streamsIn(region: string): Stream[] {
    return [...this.byKey.values()].filter((s) => s.region === region).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  openShardCount(region: string): number {
    let n = 0;
    for (const s of this.byKey.values()) if (s.region === region) n += s.openShards.length;
    return n;
  }

  nextId(): number {
    return this.nextStreamId++;
  }

  add(stream: Stream): void {
    this.byKey.set(keyOf(stream.region, stream.name), stream);
    this.byId.set(stream.id, stream);
    this.store.saveStream(stream);
  }

  remove(stream: Stream): void {
    let live = 0;
    for (const shard of stream.shards) for (let i = shard.head; i < shard.records.length; i++) live += shard.records[i]!.journalBytes;
    this.byKey.delete(keyOf(stream.region, stream.name));
    this.byId.delete(stream.id);
    this.store.deleteStream(stream, live);
    this.store.maybeCompact(() => this.byId.values());
  }

  /** Journals a control-plane change of `stream` (after the in-memory change succeeded). */
  save(stream: Stream): void {
    this.store.saveStream(stream);
  }

  /** Drops a shard's records that are past the stream's retention on the clock. */
  trimShard(stream: Stream, shard: Shard, nowMs: number): void {
    const dead = shard.trimBefore(nowMs - stream.retentionMs);
    if (dead > 0) {
      this.store.noteDeadBytes(dead);
      this.store.maybeCompact(() => this.byId.values());
    }
  }

  trimStream(stream: Stream, nowMs: number): void {
    for (const shard of stream.shards) this.trimShard(stream, shard, nowMs);
  }

  /** CreateStream's 5 calls per second per account (only with limits on). */
  admitCreateStream(nowMs: number, maxPerSecond: number): boolean {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.createSecond) {
      this.createSecond = second;
      this.createCalls = 0;
    }
    if (this.createCalls >= maxPerSecond) return false;
    this.createCalls++;
    return true;
  }

  throttled(shard: Shard, stream: Stream): ServiceError {
    return new ServiceError('ProvisionedThroughputExceededException', this.rateExceededMessage(shard, stream));
  }

  rateExceededMessage(shard: Shard, stream: Stream): string {
    return `Rate exceeded for shard ${shard.id} in stream ${stream.name} under account ${this.accountId}.`;
  }
}

function keyOf(region: string, name: string): string {
  return `${region}\u0000${name}`;
}

/**
 * Kinesis Data Streams as the source of a delivery stream (writing-with-kinesis-streams.md): Firehose reads every
 * shard from LATEST (as of the delivery stream's creation), calls GetRecords about once per second per shard,
 * follows resharding (a child shard is read from TRIM_HORIZON once its parents are read to their end), and
 * de-aggregates KPL records before buffering them.
 *
 * Read positions are journaled with the records they cover (one write), so after a crash reading resumes right
 * after the last journaled record: nothing is skipped, and nothing read is read again. Delivery itself is
 * at-least-once (a batch delivered just before a crash, but not yet marked, is delivered again).
 */
import type { Logger } from 'pino';
import type { Clock, Rng } from '../../core/clock.js';
import type { JsonService, OperationContext } from '../server/types.js';
import { KINESIS_GET_RECORDS_LIMIT, KINESIS_POLL_INTERVAL_MS, KINESIS_SHARD_LIST_REFRESH_MS } from './constants.js';
import type { DeliveryStream, IncomingRecord } from './delivery-stream.js';
import type { ShardCheckpoint } from './journal-codec.js';
import { deaggregate } from './kpl.js';
import { uuidFrom } from './s3-key.js';
import type { FirehoseStore } from './store.js';

interface ShardState {
  readonly id: string;
  readonly parents: readonly string[];
  iterator: string | undefined;
  /** Last sequence number taken into the buffer. */
  lastSeq: string | undefined;
  closed: boolean;
  polling: boolean;
  nextPollAt: number;
  /** Where to start when there is no lastSeq. */
  readonly start: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
}

interface ListedShard {
  ShardId: string;
  ParentShardId?: string;
  AdjacentParentShardId?: string;
  SequenceNumberRange?: { EndingSequenceNumber?: string };
}

interface KinesisRecordOut {
  Data: string | Uint8Array;
  PartitionKey: string;
  SequenceNumber: string;
  ExplicitHashKey?: string;
  ApproximateArrivalTimestamp?: number | Date;
}

export interface KinesisSourceDeps {
  readonly streams: JsonService;
  readonly store: FirehoseStore;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly accountId: string;
  readonly region: string;
  track(work: Promise<unknown>): void;
}

export class KinesisSource {
  private readonly shards = new Map<string, ShardState>();
  private nextListAt = 0;
  private listing = false;
  private stopped = false;
  private lastProblem: string | undefined;
  private readonly log: Logger;

  constructor(
    private readonly target: DeliveryStream,
    private readonly deps: KinesisSourceDeps,
    /** Journaled positions from before a restart (empty for a new delivery stream). */
    private readonly checkpoints: Map<string, ShardCheckpoint>,
  ) {
    this.log = deps.logger.child({ deliveryStream: target.name, source: target.config.source?.streamArn });
  }

  private get streamName(): string {
    return this.target.config.source!.streamName;
  }

  /**
   * For a new delivery stream: lists the shards (failing if the stream does not exist) and journals the
   * starting point, open shards at LATEST and already closed ones as done, so a restart neither skips nor replays.
   */
  async start(): Promise<void> {
    const shards = await this.listShards();
    for (const s of shards) {
      const closed = s.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      const checkpoint: ShardCheckpoint = { stream: this.target.name, shardId: s.ShardId, closed };
      this.checkpoints.set(s.ShardId, checkpoint);
      this.deps.store.saveCheckpoint(checkpoint);
      const state = { ...this.fresh(s, closed ? 'TRIM_HORIZON' : 'LATEST'), closed };
      // LATEST means "as of now", not as of the first poll: take the iterator at creation.
      if (!closed) state.iterator = await this.iteratorFor(state);
      this.shards.set(s.ShardId, state);
    }
    this.nextListAt = this.deps.clock.now() + KINESIS_SHARD_LIST_REFRESH_MS;
  }

  stop(): void {
    this.stopped = true;
  }

  /** The shards' positions, for journal compaction. */
  positions(): ShardCheckpoint[] {
    // Journaled positions of shards not listed yet since a restart must survive a compaction too.
    const out = new Map(this.checkpoints);
    for (const s of this.shards.values()) {
      out.set(s.id, { stream: this.target.name, shardId: s.id, sequenceNumber: s.lastSeq ?? this.checkpoints.get(s.id)?.sequenceNumber, closed: s.closed });
    }
    return [...out.values()];
  }

  tick(now: number): void {
    if (this.stopped) return;
    if (now >= this.nextListAt && !this.listing) this.run(this.refreshShards());
    // A destination that is down must not make the target buffer without bound: stop reading until it drains.
    if (!this.target.hasRoom) return;
    for (const shard of this.shards.values()) {
      if (shard.closed || shard.polling || now < shard.nextPollAt || !this.parentsDone(shard)) continue;
      shard.polling = true;
      shard.nextPollAt = now + KINESIS_POLL_INTERVAL_MS;
      this.run(this.poll(shard).finally(() => (shard.polling = false)));
    }
  }

  private run(work: Promise<void>): void {
    this.deps.track(
      work.catch((err: unknown) => {
        this.problem(`unexpected error reading the source stream: ${(err as Error).message}`);
      }),
    );
  }

  /** Logs a problem once until it changes, so a stream that is gone does not log every second. */
  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.log.warn(message);
  }

  private parentsDone(shard: ShardState): boolean {
    return shard.parents.every((p) => {
      const parent = this.shards.get(p);
      return parent === undefined || parent.closed;
    });
  }

  private fresh(s: ListedShard, start: ShardState['start']): ShardState {
    const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => typeof p === 'string');
    return { id: s.ShardId, parents, iterator: undefined, lastSeq: undefined, closed: false, polling: false, nextPollAt: 0, start };
  }

  private async refreshShards(): Promise<void> {
    this.listing = true;
    try {
      const shards = await this.listShards();
      for (const s of shards) {
        if (this.shards.has(s.ShardId)) continue;
        const checkpoint = this.checkpoints.get(s.ShardId);
        if (checkpoint) {
          // Known from before a restart: resume after the last journaled record, or from the creation time
          // if nothing was read yet (LATEST now would skip what arrived while the target was down).
          const state = this.fresh(s, checkpoint.sequenceNumber ? 'TRIM_HORIZON' : 'AT_TIMESTAMP');
          state.lastSeq = checkpoint.sequenceNumber;
          state.closed = checkpoint.closed;
          this.shards.set(s.ShardId, state);
        } else {
          // A shard we have never seen appeared after we started (resharding): all of it is new to us.
          this.shards.set(s.ShardId, this.fresh(s, 'TRIM_HORIZON'));
          this.log.debug({ shardId: s.ShardId }, 'new shard in the source stream');
        }
      }
      this.lastProblem = undefined;
    } catch (err) {
      this.problem(`cannot list the shards of source stream ${this.streamName}: ${(err as Error).message}`);
    } finally {
      this.listing = false;
      this.nextListAt = this.deps.clock.now() + KINESIS_SHARD_LIST_REFRESH_MS;
    }
  }

  private async listShards(): Promise<ListedShard[]> {
    const out: ListedShard[] = [];
    let token: string | undefined;
    do {
      const input = token ? { NextToken: token } : { StreamName: this.streamName };
      const page = (await this.call('ListShards', input)) as { Shards?: ListedShard[]; NextToken?: string };
      out.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }

  private async poll(shard: ShardState): Promise<void> {
    try {
      shard.iterator ??= await this.iteratorFor(shard);
      const page = (await this.call('GetRecords', { ShardIterator: shard.iterator, Limit: KINESIS_GET_RECORDS_LIMIT })) as {
        Records?: KinesisRecordOut[];
        NextShardIterator?: string | null;
      };
      if (this.stopped) return;
      const records = page.Records ?? [];
      const closed = page.NextShardIterator === undefined || page.NextShardIterator === null;
      const lastSeq = records.length > 0 ? records[records.length - 1]!.SequenceNumber : shard.lastSeq;
      const checkpoint: ShardCheckpoint = { stream: this.target.name, shardId: shard.id, sequenceNumber: lastSeq, closed };
      if (records.length > 0) this.target.accept(this.toIncoming(shard.id, records), checkpoint);
      else if (closed) this.deps.store.saveCheckpoint(checkpoint);
      shard.lastSeq = lastSeq;
      shard.iterator = page.NextShardIterator ?? undefined;
      if (closed) {
        shard.closed = true;
        this.log.debug({ shardId: shard.id }, 'source shard read to its end');
        this.nextListAt = 0; // look for its children now
      }
      this.lastProblem = undefined;
    } catch (err) {
      const type = (err as { type?: string }).type ?? (err as Error).name;
      // An expired or invalid iterator is re-acquired from the last position at the next poll.
      if (type === 'ExpiredIteratorException' || type === 'InvalidArgumentException') shard.iterator = undefined;
      this.problem(`GetRecords on ${this.streamName}/${shard.id} failed: ${type}: ${(err as Error).message}`);
    }
  }

  private async iteratorFor(shard: ShardState): Promise<string> {
    const base = { StreamName: this.streamName, ShardId: shard.id };
    let input: Record<string, unknown>;
    if (shard.lastSeq) input = { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: shard.lastSeq };
    else if (shard.start === 'AT_TIMESTAMP') input = { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: this.target.stored.createdAt / 1000 };
    else input = { ...base, ShardIteratorType: shard.start };
    const out = (await this.call('GetShardIterator', input)) as { ShardIterator?: string };
    if (!out.ShardIterator) throw new Error('GetShardIterator returned no iterator');
    return out.ShardIterator;
  }

  private toIncoming(shardId: string, records: readonly KinesisRecordOut[]): IncomingRecord[] {
    const out: IncomingRecord[] = [];
    for (const r of records) {
      const data = typeof r.Data === 'string' ? Buffer.from(r.Data, 'base64') : Buffer.from(r.Data.buffer, r.Data.byteOffset, r.Data.byteLength);
      const arrival = arrivalMs(r.ApproximateArrivalTimestamp, this.deps.clock);
      for (const u of deaggregate(data, r.PartitionKey, r.ExplicitHashKey)) {
        out.push({
          data: u.data,
          arrival,
          kinesis: { shardId, partitionKey: u.partitionKey, sequenceNumber: r.SequenceNumber, subsequenceNumber: u.subSequenceNumber, approximateArrivalTimestamp: arrival },
        });
      }
    }
    return out;
  }

  private call(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const op = this.deps.streams.operations[operation];
    if (!op) return Promise.reject(new Error(`the streams service has no ${operation} operation`));
    const ctx: OperationContext = { requestId: uuidFrom(this.deps.rng), region: this.deps.region, accountId: this.deps.accountId, now: this.deps.clock.now() };
    // An operation may hand back JSON it serialized itself (a Buffer) instead of an object.
    return Promise.resolve(op(input, ctx)).then((out) => (out instanceof Uint8Array ? JSON.parse(Buffer.from(out).toString('utf8')) : out));
  }
}

/** ApproximateArrivalTimestamp as the in-process service returns it: a Date, or epoch seconds (JSON protocol). */
function arrivalMs(value: number | Date | undefined, clock: Clock): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value < 1e11 ? Math.round(value * 1000) : value;
  return clock.now();
}

/**
 * Shard throughput as AWS enforces it, on the injected clock: one-second windows per shard for writes
 * (1 MiB and 1,000 records), GetRecords calls (5) and GetShardIterator calls (5); read bytes (2 MiB/s) as a
 * debt, so one 10 MiB response throttles the shard's reads for the next seconds as on AWS.
 * And fault injection: a fraction of writes fail with InternalFailure or a throttle, drawn from the injected RNG.
 */
import type { Rng } from '../../core/clock.js';
import type { ShardTraffic } from './model.js';
import {
  GET_SHARD_ITERATOR_MAX_PER_SHARD_PER_SECOND,
  READ_MAX_BYTES_PER_SHARD_PER_SECOND,
  READ_MAX_CALLS_PER_SHARD_PER_SECOND,
  WRITE_MAX_BYTES_PER_SHARD_PER_SECOND,
  WRITE_MAX_RECORDS_PER_SHARD_PER_SECOND,
} from './limits.js';

/** Counts one record of `bytes` (data + partition key) against the shard's write window; false = throttle it. */
export function admitWrite(t: ShardTraffic, nowMs: number, bytes: number): boolean {
  const second = Math.floor(nowMs / 1000);
  if (t.writeSecond !== second) {
    t.writeSecond = second;
    t.writeBytes = 0;
    t.writeRecords = 0;
  }
  if (t.writeRecords + 1 > WRITE_MAX_RECORDS_PER_SHARD_PER_SECOND || t.writeBytes + bytes > WRITE_MAX_BYTES_PER_SHARD_PER_SECOND) return false;
  t.writeRecords++;
  t.writeBytes += bytes;
  return true;
}

/** Counts one GetRecords call; false = throttle it (over 5 calls this second, or the read-bytes debt is not paid). */
export function admitRead(t: ShardTraffic, nowMs: number): boolean {
  // The first second's worth of bytes is free (a caller under 2 MiB/s never waits); beyond that, wait it off.
  if (nowMs < t.readBytesPaidUntilMs - 1000) return false;
  const second = Math.floor(nowMs / 1000);
  if (t.readSecond !== second) {
    t.readSecond = second;
    t.readCalls = 0;
  }
  if (t.readCalls + 1 > READ_MAX_CALLS_PER_SHARD_PER_SECOND) return false;
  t.readCalls++;
  return true;
}

export function chargeRead(t: ShardTraffic, nowMs: number, bytes: number): void {
  t.readBytesPaidUntilMs = Math.max(t.readBytesPaidUntilMs, nowMs) + (bytes * 1000) / READ_MAX_BYTES_PER_SHARD_PER_SECOND;
}

export function admitShardIterator(t: ShardTraffic, nowMs: number): boolean {
  const second = Math.floor(nowMs / 1000);
  if (t.iteratorSecond !== second) {
    t.iteratorSecond = second;
    t.iteratorCalls = 0;
  }
  if (t.iteratorCalls + 1 > GET_SHARD_ITERATOR_MAX_PER_SHARD_PER_SECOND) return false;
  t.iteratorCalls++;
  return true;
}

export type InjectedFault = 'InternalFailure' | 'ProvisionedThroughputExceededException';

/** One draw per record: below rate/2 an InternalFailure, below rate a throttle, else nothing. */
export function drawFault(rng: Rng, faultRate: number): InjectedFault | undefined {
  if (faultRate <= 0) return undefined;
  const u = rng.next();
  if (u < faultRate / 2) return 'InternalFailure';
  if (u < faultRate) return 'ProvisionedThroughputExceededException';
  return undefined;
}

/**
 * Resharding: SplitShard, MergeShards, UpdateShardCount (UNIFORM_SCALING). A parent is closed at the counter its
 * next record would have had (its EndingSequenceNumber); children start fresh with ParentShardId /
 * AdjacentParentShardId, so readers finish the parents and then follow GetRecords' ChildShards.
 */
import { invalidArgument, limitExceeded, resourceNotFound } from '../../server/service-error.js';
import type { Operation, OperationContext } from '../../server/types.js';
import { evenHashKeyRanges } from '../hash-key.js';
import { SHARD_COUNT_MAX } from '../limits.js';
import { Shard, type Stream } from '../model.js';
import { FIRST_RECORD_COUNTER, shardIndexOf } from '../sequence-number.js';
import type { StreamsState } from '../state.js';
import { Checks } from '../validation.js';
import { checkShardLimit } from './control.js';

const HASH_KEY_PATTERN = /^(0|[1-9]\d{0,38})$/;

function close(shard: Shard, nowMs: number): void {
  shard.closedMs = nowMs;
  shard.endingCounter = shard.nextCounter;
}

/** Splits `shard` so the right child starts at `newStart` (start < newStart <= end). */
export function splitShard(stream: Stream, shard: Shard, newStart: bigint, nowMs: number): [Shard, Shard] {
  close(shard, nowMs);
  const left = new Shard(stream.shards.length, shard.startHash, newStart - 1n, nowMs, FIRST_RECORD_COUNTER, shard.index);
  stream.addShard(left);
  const right = new Shard(stream.shards.length, newStart, shard.endHash, nowMs, FIRST_RECORD_COUNTER, shard.index);
  stream.addShard(right);
  return [left, right];
}

/** Merges two open shards whose ranges touch; the child's ParentShardId is `shard`, its AdjacentParentShardId `adjacent`. */
export function mergeShards(stream: Stream, shard: Shard, adjacent: Shard, nowMs: number): Shard {
  close(shard, nowMs);
  close(adjacent, nowMs);
  const start = shard.startHash < adjacent.startHash ? shard.startHash : adjacent.startHash;
  const end = shard.endHash > adjacent.endHash ? shard.endHash : adjacent.endHash;
  const child = new Shard(stream.shards.length, start, end, nowMs, FIRST_RECORD_COUNTER, shard.index, adjacent.index);
  stream.addShard(child);
  return child;
}

/**
 * Reaches `target` evenly sized open shards by real splits and merges, as AWS does, so every child has at most
 * two parents and the lineage stays readable: first split open shards at every new boundary inside them, then
 * merge the pieces that make up each new range. Intermediate shards are closed at once (and stay empty).
 */
export function scaleUniformly(stream: Stream, target: number, nowMs: number): void {
  const ranges = evenHashKeyRanges(target);
  for (const range of ranges.slice(1)) {
    const holder = stream.openShards.find((s) => s.startHash < range.start && range.start <= s.endHash);
    if (holder) {
      splitShard(stream, holder, range.start, nowMs);
      stream.reindexOpenShards();
    }
  }
  for (const range of ranges) {
    const pieces = stream.openShards.filter((s) => s.startHash >= range.start && s.endHash <= range.end);
    let merged = pieces[0]!;
    for (const piece of pieces.slice(1)) merged = mergeShards(stream, merged, piece, nowMs);
    stream.reindexOpenShards();
  }
}

export function reshardOperations(state: StreamsState): Record<string, Operation> {
  const { accountId } = state;

  function openShard(stream: Stream, shardId: string): Shard {
    const index = shardIndexOf(shardId);
    const shard = index === undefined ? undefined : stream.shards[index];
    if (!shard) throw resourceNotFound(`Could not find shard ${shardId} in stream ${stream.name} under account ${accountId}.`);
    if (!shard.isOpen) {
      throw invalidArgument(
        `Shard ${shard.id} in stream ${stream.name} under account ${accountId} has already been merged or split, and thus is not eligible for merging or splitting.`,
      );
    }
    return shard;
  }

  function requireProvisioned(stream: Stream, operation: string): void {
    if (stream.mode === 'ON_DEMAND') {
      throw invalidArgument(`${operation} is not supported for stream ${stream.name} under account ${accountId} in ON_DEMAND mode; AWS scales on-demand streams itself.`);
    }
  }

  function finish(stream: Stream, nowMs: number): void {
    stream.reindexOpenShards();
    if (state.settings.updateDelayMs > 0) stream.updatingUntilMs = nowMs + state.settings.updateDelayMs;
    state.save(stream);
  }

  return {
    SplitShard(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const ref = checks.streamRef();
      const shardId = checks.shardId('ShardToSplit')!;
      const newStartText = checks.string('NewStartingHashKey', { required: true, pattern: HASH_KEY_PATTERN, patternText: '0|([1-9]\\d{0,38})' })!;
      checks.done();
      const now = state.now();
      const stream = state.resolve(ref, ctx);
      state.requireActive(stream, now);
      requireProvisioned(stream, 'SplitShard');
      const shard = openShard(stream, shardId);
      const newStart = BigInt(newStartText);
      if (newStart <= shard.startHash + 1n || newStart >= shard.endHash) {
        throw invalidArgument(
          `NewStartingHashKey ${newStartText} used in SplitShard() on shard ${shard.id} in stream ${stream.name} under account ${accountId} ` +
            `is not both greater than one plus the shard's StartingHashKey ${shard.startHash} and less than the shard's EndingHashKey ${shard.endHash}.`,
        );
      }
      checkShardLimit(state, stream.region, 1);
      splitShard(stream, shard, newStart, now);
      finish(stream, now);
      return {};
    },

    MergeShards(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const ref = checks.streamRef();
      const shardId = checks.shardId('ShardToMerge')!;
      const adjacentId = checks.shardId('AdjacentShardToMerge')!;
      checks.done();
      const now = state.now();
      const stream = state.resolve(ref, ctx);
      state.requireActive(stream, now);
      requireProvisioned(stream, 'MergeShards');
      const shard = openShard(stream, shardId);
      const adjacent = openShard(stream, adjacentId);
      if (shard.endHash + 1n !== adjacent.startHash && adjacent.endHash + 1n !== shard.startHash) {
        throw invalidArgument(`Shards ${shard.id} and ${adjacent.id} in stream ${stream.name} under account ${accountId} are not an adjacent pair of shards eligible for merging`);
      }
      mergeShards(stream, shard, adjacent, now);
      finish(stream, now);
      return {};
    },

    UpdateShardCount(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const ref = checks.streamRef();
      const target = checks.integer('TargetShardCount', { required: true, min: 1, max: SHARD_COUNT_MAX })!;
      checks.string('ScalingType', { required: true, oneOf: ['UNIFORM_SCALING'] });
      checks.done();
      const now = state.now();
      const stream = state.resolve(ref, ctx);
      state.requireActive(stream, now);
      requireProvisioned(stream, 'UpdateShardCount');
      const current = stream.openShards.length;
      if (target > current * 2) {
        throw limitExceeded(`UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: ${current} Target shard count: ${target}`);
      }
      if (target * 2 < current) {
        throw limitExceeded(`UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: ${current} Target shard count: ${target}`);
      }
      checkShardLimit(state, stream.region, Math.max(0, target - current));
      if (target !== current || !isEven(stream, target)) scaleUniformly(stream, target, now);
      finish(stream, now);
      return { StreamName: stream.name, StreamARN: stream.arn, CurrentShardCount: current, TargetShardCount: target };
    },
  };
}

function isEven(stream: Stream, count: number): boolean {
  const ranges = evenHashKeyRanges(count);
  return stream.openShards.length === count && stream.openShards.every((s, i) => s.startHash === ranges[i]!.start && s.endHash === ranges[i]!.end);
}

/** The JSON shapes of the API's outputs (timestamps are epoch seconds with fractional milliseconds). */
import type { Shard, Stream } from './model.js';

export const epochSeconds = (ms: number): number => ms / 1000;

export function shardShape(shard: Shard, stream: Stream): Record<string, unknown> {
  const out: Record<string, unknown> = { ShardId: shard.id };
  if (shard.parentIndex !== undefined) out.ParentShardId = stream.shards[shard.parentIndex]!.id;
  if (shard.adjacentParentIndex !== undefined) out.AdjacentParentShardId = stream.shards[shard.adjacentParentIndex]!.id;
  out.HashKeyRange = { StartingHashKey: shard.startHash.toString(), EndingHashKey: shard.endHash.toString() };
  const range: Record<string, string> = { StartingSequenceNumber: shard.startingSequenceNumber() };
  const ending = shard.endingSequenceNumber();
  if (ending !== undefined) range.EndingSequenceNumber = ending;
  out.SequenceNumberRange = range;
  return out;
}

export function childShardShape(child: Shard, stream: Stream): Record<string, unknown> {
  const parents = [child.parentIndex, child.adjacentParentIndex].filter((i): i is number => i !== undefined).map((i) => stream.shards[i]!.id);
  return {
    ShardId: child.id,
    ParentShards: parents,
    HashKeyRange: { StartingHashKey: child.startHash.toString(), EndingHashKey: child.endHash.toString() },
  };
}

export function streamModeShape(stream: Stream): { StreamMode: string } {
  return { StreamMode: stream.mode };
}

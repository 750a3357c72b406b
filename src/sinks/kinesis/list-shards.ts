/**
 * ListShards as KPL's shard map calls it (reference/kds.md §2.2): MaxResults 1000, NextToken paging,
 * and ShardFilter AT_LATEST on the first page so a stream with a long resharding history lists only
 * its open shards. Local peers that predate ShardFilter refuse it; then we list without the filter
 * (ShardMap ignores closed shards anyway).
 */
import { ListShardsCommand, type KinesisClient, type ListShardsCommandInput, type Shard } from '@aws-sdk/client-kinesis';
import { withRequestTimeout } from './request-timeout.js';

const PAGE_SIZE = 1000;
/** A stream has at most a few thousand open shards; this only stops a server that pages forever. */
const MAX_PAGES = 1000;

export async function listOpenShards(
  client: KinesisClient,
  streamName: string,
  requestTimeoutMs: number,
  signal?: AbortSignal,
): Promise<Shard[]> {
  try {
    return await listPages(client, streamName, true, requestTimeoutMs, signal);
  } catch (error) {
    if (!isFilterRefused(error)) throw error;
    return listPages(client, streamName, false, requestTimeoutMs, signal);
  }
}

async function listPages(client: KinesisClient, streamName: string, filter: boolean, timeoutMs: number, signal?: AbortSignal): Promise<Shard[]> {
  const shards: Shard[] = [];
  let input: ListShardsCommandInput = {
    StreamName: streamName,
    MaxResults: PAGE_SIZE,
    ...(filter ? { ShardFilter: { Type: 'AT_LATEST' } } : {}),
  };
  for (let page = 0; page < MAX_PAGES; page++) {
    const command = new ListShardsCommand(input);
    const output = await withRequestTimeout('ListShards', timeoutMs, signal, (abortSignal) => client.send(command, { abortSignal }));
    shards.push(...(output.Shards ?? []));
    if (output.NextToken === undefined || output.NextToken === '') return shards;
    // With NextToken, the API refuses StreamName and the filter.
    input = { NextToken: output.NextToken, MaxResults: PAGE_SIZE };
  }
  return shards;
}

function isFilterRefused(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'InvalidArgumentException' || name === 'ValidationException' || name === 'SerializationException';
}

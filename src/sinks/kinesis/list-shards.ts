/**
 * ListShards as KPL's shard map calls it (reference/kds.md §2.2): MaxResults 1000, NextToken paging,
 * and ShardFilter AT_LATEST on the first page so a stream with a long resharding history lists only
 * its open shards. Local peers that predate ShardFilter refuse it; then we list without the filter
 * (ShardMap ignores closed shards anyway).
 *
 * Who sends a page is the caller's: our own signed request (the default) or an SDK client.
 */

/** ListShards' request, as the service's JSON names it. */
export interface ListShardsInput {
  readonly StreamName?: string;
  readonly NextToken?: string;
  readonly MaxResults?: number;
  readonly ShardFilter?: { readonly Type: 'AT_LATEST' };
}

/** One shard of the answer: the fields the shard map reads (pipeline/shard-map.ts `ShardDescription`). */
export interface KinesisShard {
  readonly ShardId?: string | undefined;
  readonly ParentShardId?: string | undefined;
  readonly AdjacentParentShardId?: string | undefined;
  readonly HashKeyRange?: { readonly StartingHashKey?: string | undefined; readonly EndingHashKey?: string | undefined } | undefined;
  readonly SequenceNumberRange?: { readonly StartingSequenceNumber?: string | undefined; readonly EndingSequenceNumber?: string | undefined } | undefined;
}

export interface ListShardsOutput {
  readonly Shards?: readonly KinesisShard[] | undefined;
  readonly NextToken?: string | null | undefined;
}

/** Sends one ListShards page. */
export type ListShardsPage = (input: ListShardsInput) => Promise<ListShardsOutput>;

const PAGE_SIZE = 1000;
/** A stream has at most a few thousand open shards; this only stops a server that pages forever. */
const MAX_PAGES = 1000;

export async function listOpenShards(send: ListShardsPage, streamName: string): Promise<KinesisShard[]> {
  try {
    return await listPages(send, streamName, true);
  } catch (error) {
    if (!isFilterRefused(error)) throw error;
    return listPages(send, streamName, false);
  }
}

async function listPages(send: ListShardsPage, streamName: string, filter: boolean): Promise<KinesisShard[]> {
  const shards: KinesisShard[] = [];
  let input: ListShardsInput = {
    StreamName: streamName,
    MaxResults: PAGE_SIZE,
    ...(filter ? { ShardFilter: { Type: 'AT_LATEST' } } : {}),
  };
  for (let page = 0; page < MAX_PAGES; page++) {
    const output = await send(input);
    shards.push(...(output.Shards ?? []));
    if (typeof output.NextToken !== 'string' || output.NextToken === '') return shards;
    // With NextToken, the API refuses StreamName and the filter.
    input = { NextToken: output.NextToken, MaxResults: PAGE_SIZE };
  }
  return shards;
}

function isFilterRefused(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'InvalidArgumentException' || name === 'ValidationException' || name === 'SerializationException';
}

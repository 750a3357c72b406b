/** ListShards: paging by NextToken (which then must stand alone), ExclusiveStartShardId, and ShardFilter. */
import { invalidArgument } from '../../server/service-error.js';
import type { Operation, OperationContext } from '../../server/types.js';
import { LIST_PAGE_MAX_RESULTS, LIST_SHARDS_DEFAULT_RESULTS } from '../limits.js';
import type { Shard, Stream } from '../model.js';
import { shardIndexOf } from '../sequence-number.js';
import { shardShape } from '../shapes.js';
import type { StreamsState } from '../state.js';
import { Checks } from '../validation.js';
import { decodeListToken } from './control.js';

const FILTER_TYPES = ['AFTER_SHARD_ID', 'AT_TRIM_HORIZON', 'FROM_TRIM_HORIZON', 'AT_LATEST', 'AT_TIMESTAMP', 'FROM_TIMESTAMP'] as const;
type FilterType = (typeof FILTER_TYPES)[number];

interface Filter {
  readonly type: FilterType;
  /** AFTER_SHARD_ID: shards with a higher index. */
  readonly after?: number;
  /** AT_/FROM_TIMESTAMP. */
  readonly atMs?: number;
}

interface TokenState {
  readonly id: number;
  readonly name: string;
  /** Index of the last shard returned. */
  readonly last: number;
  readonly filter?: Filter;
}

/** Whether `shard` passes `filter` (the ShardFilter types as the API reference defines them). */
function passes(shard: Shard, stream: Stream, filter: Filter | undefined, nowMs: number): boolean {
  if (!filter) return true;
  const openAt = (t: number): boolean => shard.createdMs <= t && (shard.closedMs === undefined || shard.closedMs >= t);
  switch (filter.type) {
    case 'AFTER_SHARD_ID':
      return shard.index > filter.after!;
    case 'AT_LATEST':
      return shard.isOpen;
    case 'AT_TRIM_HORIZON':
      return openAt(Math.max(nowMs - stream.retentionMs, stream.createdMs));
    case 'FROM_TRIM_HORIZON':
      return true; // visibleShards already holds exactly the shards within retention
    case 'AT_TIMESTAMP':
      return openAt(Math.max(filter.atMs!, stream.createdMs));
    case 'FROM_TIMESTAMP':
      return shard.closedMs === undefined || shard.closedMs >= filter.atMs!;
  }
}

export function listShardsOperation(state: StreamsState): Record<string, Operation> {
  function listShards(input: unknown, ctx: OperationContext): Record<string, unknown> {
    const checks = Checks.of(input);
    const ref = checks.streamRef();
    const nextToken = checks.string('NextToken', { minLength: 1, maxLength: 1_048_576 });
    const exclusiveStart = checks.shardId('ExclusiveStartShardId', false);
    const maxResults = checks.integer('MaxResults', { min: 1, max: LIST_PAGE_MAX_RESULTS }) ?? LIST_SHARDS_DEFAULT_RESULTS;
    const creationMs = checks.timestampMs('StreamCreationTimestamp');
    const filterChecks = checks.structure('ShardFilter');
    const filterType = filterChecks?.string('Type', { required: true, oneOf: FILTER_TYPES }) as FilterType | undefined;
    const filterShardId = filterChecks?.shardId('ShardId', false);
    const filterAtMs = filterChecks?.timestampMs('Timestamp');
    checks.done();
    const now = state.now();

    let stream: Stream;
    let after = -1;
    let filter: Filter | undefined;
    if (nextToken !== undefined) {
      if (ref.name !== undefined) throw invalidArgument('NextToken and StreamName cannot be provided together.');
      if (exclusiveStart !== undefined || creationMs !== undefined || filterType !== undefined) {
        throw invalidArgument('NextToken cannot be combined with ExclusiveStartShardId, StreamCreationTimestamp or ShardFilter; pass only NextToken (and MaxResults).');
      }
      const token = decodeListToken<TokenState>(state, 'ListShards', nextToken, now);
      const found = state.byId.get(token.id);
      if (!found || found.name !== token.name) throw state.streamNotFound(token.name);
      if (ref.arn !== undefined && state.resolve(ref, ctx) !== found) throw invalidArgument('StreamARN does not name the stream the NextToken was issued for.');
      stream = found;
      after = token.last;
      filter = token.filter;
    } else {
      if (ref.name === undefined && ref.arn === undefined) throw invalidArgument('Either NextToken or StreamName should be provided.');
      stream = state.resolve(ref, ctx);
      if (creationMs !== undefined && creationMs !== stream.createdMs) {
        throw state.streamNotFound(stream.name); // names an older incarnation of the stream
      }
      if (exclusiveStart !== undefined) after = shardIndexOf(exclusiveStart) ?? -1;
      if (filterType !== undefined) {
        if (filterType === 'AFTER_SHARD_ID') {
          const idx = filterShardId === undefined ? undefined : shardIndexOf(filterShardId);
          if (idx === undefined) throw invalidArgument('ShardFilter of type AFTER_SHARD_ID needs a ShardId (shardId-000000000000 form).');
          filter = { type: filterType, after: idx };
        } else if (filterType === 'AT_TIMESTAMP' || filterType === 'FROM_TIMESTAMP') {
          if (filterAtMs === undefined) throw invalidArgument(`ShardFilter of type ${filterType} needs a Timestamp.`);
          filter = { type: filterType, atMs: filterAtMs };
        } else {
          filter = { type: filterType };
        }
      }
    }

    const matching = stream.visibleShards(now).filter((s) => s.index > after && passes(s, stream, filter, now));
    const page = matching.slice(0, maxResults);
    const out: Record<string, unknown> = { Shards: page.map((s) => shardShape(s, stream)) };
    if (matching.length > page.length) {
      const token: TokenState = { id: stream.id, name: stream.name, last: page[page.length - 1]!.index, ...(filter ? { filter } : {}) };
      out.NextToken = state.tokens.encode('ListShards', token, now);
    }
    return out;
  }
  return { ListShards: listShards };
}

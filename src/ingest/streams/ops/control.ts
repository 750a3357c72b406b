/** Stream lifecycle: CreateStream, DeleteStream, Describe*, ListStreams, retention, DescribeLimits. */
import { invalidArgument, limitExceeded, resourceInUse, ServiceError } from '../../server/service-error.js';
import type { Operation, OperationContext } from '../../server/types.js';
import { evenHashKeyRanges } from '../hash-key.js';
import {
  CREATE_STREAM_MAX_PER_SECOND,
  DESCRIBE_STREAM_DEFAULT_SHARDS,
  LIST_PAGE_MAX_RESULTS,
  LIST_STREAMS_DEFAULT_RESULTS,
  NEXT_TOKEN_TTL_MS,
  ON_DEMAND_INITIAL_SHARDS,
  ON_DEMAND_STREAM_COUNT_LIMIT,
  RETENTION_DEFAULT_HOURS,
  RETENTION_MAX_HOURS,
  RETENTION_MIN_HOURS,
  SHARD_COUNT_MAX,
  STREAMS_CREATING_MAX,
  TAGS_PER_STREAM_MAX,
} from '../limits.js';
import { Shard, Stream, type StreamMode } from '../model.js';
import { FIRST_RECORD_COUNTER, shardIndexOf } from '../sequence-number.js';
import { epochSeconds, shardShape, streamModeShape } from '../shapes.js';
import type { StreamsState } from '../state.js';
import { Checks } from '../validation.js';
import { checkTags } from './tags.js';

export function shardLimitMessage(state: StreamsState, region: string, current: number, additional: number): string {
  return (
    `This request would exceed the shard limit for the account ${state.accountId} in ${region}. ` +
    `Current shard count for the account: ${current}. Limit: ${state.settings.shardLimit}. ` +
    `Number of additional shards that would have resulted from this request: ${additional}. ` +
    'Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) ' +
    'for current limits and how to request higher limits.'
  );
}

export function checkShardLimit(state: StreamsState, region: string, additional: number): void {
  const current = state.openShardCount(region);
  if (current + additional > state.settings.shardLimit) throw limitExceeded(shardLimitMessage(state, region, current, additional));
}

export function controlOperations(state: StreamsState): Record<string, Operation> {
  const { accountId } = state;

  function createStream(input: unknown, ctx: OperationContext): Record<string, never> {
    const checks = Checks.of(input);
    const name = checks.streamName()!;
    const shardCount = checks.integer('ShardCount', { min: 1, max: SHARD_COUNT_MAX });
    const modeDetails = checks.structure('StreamModeDetails');
    const requestedMode = modeDetails?.string('StreamMode', { required: true, oneOf: ['PROVISIONED', 'ON_DEMAND'] }) as StreamMode | undefined;
    const tags = checks.stringMap('Tags', { max: TAGS_PER_STREAM_MAX });
    checks.done();

    const region = state.regionOf(ctx);
    const now = state.now();
    // Without ShardCount or a mode, AWS creates an on-demand stream (4 shards).
    const mode: StreamMode = requestedMode ?? (shardCount === undefined ? 'ON_DEMAND' : 'PROVISIONED');
    if (mode === 'PROVISIONED' && shardCount === undefined) {
      throw invalidArgument(`ShardCount is required for stream ${name} in PROVISIONED mode; give ShardCount, or StreamModeDetails {StreamMode: ON_DEMAND}.`);
    }
    if (mode === 'ON_DEMAND' && shardCount !== undefined) {
      throw invalidArgument(`ShardCount cannot be given for stream ${name} in ON_DEMAND mode; leave it out, or use StreamMode PROVISIONED.`);
    }
    if (tags) checkTags(state, name, tags, 0);
    if (state.find(region, name)) throw resourceInUse(`Stream ${name} under account ${accountId} already exists.`);
    const count = shardCount ?? ON_DEMAND_INITIAL_SHARDS;

    const existing = state.streamsIn(region);
    if (mode === 'ON_DEMAND' && existing.filter((s) => s.mode === 'ON_DEMAND').length >= ON_DEMAND_STREAM_COUNT_LIMIT) {
      throw limitExceeded(`This request would exceed the limit of ${ON_DEMAND_STREAM_COUNT_LIMIT} on-demand streams for the account ${accountId} in ${region}.`);
    }
    checkShardLimit(state, region, count);
    if (state.settings.limits) {
      if (existing.filter((s) => s.status(now) === 'CREATING').length >= STREAMS_CREATING_MAX) {
        throw limitExceeded(`Account ${accountId} already has ${STREAMS_CREATING_MAX} streams in CREATING state; wait until one is ACTIVE.`);
      }
      if (!state.admitCreateStream(now, CREATE_STREAM_MAX_PER_SECOND)) throw limitExceeded(`Rate exceeded for CreateStream under account ${accountId}.`);
    }

    const stream = new Stream(state.nextId(), name, region, accountId, now, mode, RETENTION_DEFAULT_HOURS, now + state.settings.createDelayMs);
    evenHashKeyRanges(count).forEach((range, i) => stream.addShard(new Shard(i, range.start, range.end, now, FIRST_RECORD_COUNTER)));
    stream.reindexOpenShards();
    if (tags) for (const [k, v] of Object.entries(tags)) stream.tags.set(k, v);
    state.add(stream);
    return {};
  }

  function deleteStream(input: unknown, ctx: OperationContext): Record<string, never> {
    const checks = Checks.of(input);
    const ref = checks.streamRef();
    checks.boolean('EnforceConsumerDeletion');
    checks.done();
    const stream = state.resolve(ref, ctx);
    state.remove(stream);
    return {};
  }

  function describeStream(input: unknown, ctx: OperationContext): Record<string, unknown> {
    const checks = Checks.of(input);
    const ref = checks.streamRef();
    const limit = checks.integer('Limit', { min: 1, max: LIST_PAGE_MAX_RESULTS }) ?? DESCRIBE_STREAM_DEFAULT_SHARDS;
    const exclusiveStart = checks.shardId('ExclusiveStartShardId', false);
    checks.done();
    const stream = state.resolve(ref, ctx);
    const now = state.now();
    let shards = stream.visibleShards(now);
    if (exclusiveStart !== undefined) {
      const after = shardIndexOf(exclusiveStart) ?? -1;
      shards = shards.filter((s) => s.index > after);
    }
    const page = shards.slice(0, limit);
    return {
      StreamDescription: {
        StreamName: stream.name,
        StreamARN: stream.arn,
        StreamStatus: stream.status(now),
        StreamModeDetails: streamModeShape(stream),
        Shards: page.map((s) => shardShape(s, stream)),
        HasMoreShards: shards.length > page.length,
        RetentionPeriodHours: stream.retentionHours,
        StreamCreationTimestamp: epochSeconds(stream.createdMs),
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
      },
    };
  }

  function describeStreamSummary(input: unknown, ctx: OperationContext): Record<string, unknown> {
    const checks = Checks.of(input);
    const ref = checks.streamRef();
    checks.done();
    const stream = state.resolve(ref, ctx);
    const now = state.now();
    return {
      StreamDescriptionSummary: {
        StreamName: stream.name,
        StreamARN: stream.arn,
        StreamStatus: stream.status(now),
        StreamModeDetails: streamModeShape(stream),
        RetentionPeriodHours: stream.retentionHours,
        StreamCreationTimestamp: epochSeconds(stream.createdMs),
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
        OpenShardCount: stream.openShards.length,
        ConsumerCount: 0,
      },
    };
  }

  function listStreams(input: unknown, ctx: OperationContext): Record<string, unknown> {
    const checks = Checks.of(input);
    const limit = checks.integer('Limit', { min: 1, max: LIST_PAGE_MAX_RESULTS }) ?? LIST_STREAMS_DEFAULT_RESULTS;
    let after = checks.streamName('ExclusiveStartStreamName', false);
    const nextToken = checks.string('NextToken', { minLength: 1, maxLength: 1_048_576 });
    checks.done();
    const now = state.now();
    if (nextToken !== undefined) {
      if (after !== undefined) throw invalidArgument('NextToken and ExclusiveStartStreamName cannot be provided together.');
      after = decodeListToken(state, 'ListStreams', nextToken, now).after;
    }
    const region = state.regionOf(ctx);
    const all = state.streamsIn(region).filter((s) => after === undefined || s.name > after);
    const page = all.slice(0, limit);
    const more = all.length > page.length;
    const out: Record<string, unknown> = {
      StreamNames: page.map((s) => s.name),
      HasMoreStreams: more,
      StreamSummaries: page.map((s) => ({
        StreamName: s.name,
        StreamARN: s.arn,
        StreamStatus: s.status(now),
        StreamModeDetails: streamModeShape(s),
        StreamCreationTimestamp: epochSeconds(s.createdMs),
      })),
    };
    if (more) out.NextToken = state.tokens.encode('ListStreams', { after: page[page.length - 1]!.name }, now);
    return out;
  }

  function changeRetention(direction: 'increase' | 'decrease') {
    return (input: unknown, ctx: OperationContext): Record<string, never> => {
      const checks = Checks.of(input);
      const ref = checks.streamRef();
      const hours = checks.integer('RetentionPeriodHours', { required: true, min: 1 })!;
      checks.done();
      const stream = state.resolve(ref, ctx);
      const now = state.now();
      if (hours < RETENTION_MIN_HOURS) {
        throw invalidArgument(`Minimum allowed retention period is ${RETENTION_MIN_HOURS} hours. Requested retention period (${hours} hours) is too short.`);
      }
      if (hours > RETENTION_MAX_HOURS) {
        throw invalidArgument(`Maximum allowed retention period is ${RETENTION_MAX_HOURS} hours. Requested retention period (${hours} hours) is too long.`);
      }
      if (direction === 'increase' && hours < stream.retentionHours) {
        throw invalidArgument(
          `Requested retention period (${hours} hours) for stream ${stream.name} can not be shorter than existing retention period (${stream.retentionHours} hours). Use DecreaseRetentionPeriod API.`,
        );
      }
      if (direction === 'decrease' && hours > stream.retentionHours) {
        throw invalidArgument(
          `Requested retention period (${hours} hours) for stream ${stream.name} can not be longer than existing retention period (${stream.retentionHours} hours). Use IncreaseRetentionPeriod API.`,
        );
      }
      state.requireActive(stream, now);
      // Trim under the old retention first, so that an increase cannot bring expired records back.
      state.trimStream(stream, now);
      stream.retentionHours = hours;
      state.trimStream(stream, now);
      if (state.settings.updateDelayMs > 0) stream.updatingUntilMs = now + state.settings.updateDelayMs;
      state.save(stream);
      return {};
    };
  }

  function describeLimits(_input: unknown, ctx: OperationContext): Record<string, unknown> {
    const region = state.regionOf(ctx);
    return {
      ShardLimit: state.settings.shardLimit,
      OpenShardCount: state.openShardCount(region),
      OnDemandStreamCount: state.streamsIn(region).filter((s) => s.mode === 'ON_DEMAND').length,
      OnDemandStreamCountLimit: ON_DEMAND_STREAM_COUNT_LIMIT,
    };
  }

  return {
    CreateStream: createStream,
    DeleteStream: deleteStream,
    DescribeStream: describeStream,
    DescribeStreamSummary: describeStreamSummary,
    ListStreams: listStreams,
    IncreaseStreamRetentionPeriod: changeRetention('increase'),
    DecreaseStreamRetentionPeriod: changeRetention('decrease'),
    DescribeLimits: describeLimits,
  };
}

/** Decodes a NextToken of ours, or fails as AWS does (malformed → InvalidArgument, old → ExpiredNextToken). */
export function decodeListToken<T = { after: string }>(state: StreamsState, kind: string, token: string, nowMs: number): T {
  const decoded = state.tokens.decode<T>(kind, token);
  if (!decoded) throw invalidArgument(`Invalid NextToken for ${kind}; pass the NextToken of a previous ${kind} response unchanged.`);
  if (nowMs - decoded.issuedMs > NEXT_TOKEN_TTL_MS) {
    throw new ServiceError('ExpiredNextTokenException', `The NextToken has expired; it is valid for ${NEXT_TOKEN_TTL_MS / 1000} seconds. Start again without NextToken.`);
  }
  return decoded.state;
}

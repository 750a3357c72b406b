/** GetShardIterator and GetRecords. Iterators are signed positions (shard-iterator.ts); reads trim by retention first. */
import { invalidArgument, resourceNotFound, ServiceError } from '../../server/service-error.js';
import type { Operation, OperationContext } from '../../server/types.js';
import { GET_RECORDS_MAX_BYTES, GET_RECORDS_MAX_RECORDS, SHARD_ITERATOR_MAX_CHARS, SHARD_ITERATOR_TTL_MS } from '../limits.js';
import type { Shard, StoredRecord, Stream } from '../model.js';
import { AWS_SEQUENCE_NUMBER_PATTERN, parseSequenceNumber, shardIdOf, shardIndexOf } from '../sequence-number.js';
import { childShardShape } from '../shapes.js';
import type { StreamsState } from '../state.js';
import { admitRead, admitShardIterator, chargeRead } from '../throughput.js';
import { Checks } from '../validation.js';
import { getRecordsJson } from './records-json.js';

const ITERATOR_TYPES = ['AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'] as const;
type IteratorType = (typeof ITERATOR_TYPES)[number];

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** AWS's date format in ExpiredIteratorException messages: `Thu Jan 22 01:22:02 UTC 2015`. */
function amzUtc(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${time} UTC ${d.getUTCFullYear()}`;
}

export function readOperations(state: StreamsState): Record<string, Operation> {
  const { accountId } = state;
  const shardMissing = (shardId: string, stream: string): ServiceError =>
    resourceNotFound(`Shard ${shardId} in stream ${stream} under account ${accountId} does not exist`);

  function startPosition(stream: Stream, shard: Shard, type: IteratorType, sequenceNumber: string | undefined, timestampMs: number | undefined, nowMs: number): number {
    const end = shard.endingCounter ?? shard.nextCounter;
    switch (type) {
      case 'TRIM_HORIZON':
        return shard.firstLiveCounter;
      case 'LATEST':
        return end;
      case 'AT_TIMESTAMP': {
        if (timestampMs === undefined) {
          throw invalidArgument('Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.');
        }
        if (timestampMs > nowMs) {
          throw invalidArgument(
            `The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: ${timestampMs}, currentTimestampInMillis: ${nowMs}`,
          );
        }
        const i = shard.indexAtArrival(timestampMs);
        return i < shard.records.length ? shard.records[i]!.counter : end;
      }
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        const parsed = parseSequenceNumber(sequenceNumber!);
        if (!parsed || parsed.counter > end) {
          throw invalidArgument(
            `StartingSequenceNumber ${sequenceNumber} used in GetShardIterator on shard ${shard.id} in stream ${stream.name} under account ${accountId} is invalid.`,
          );
        }
        if (parsed.shardIndex !== shard.index) {
          throw invalidArgument(`Invalid StartingSequenceNumber. It encodes ${shardIdOf(parsed.shardIndex)}, while it was used in a call to a shard with ${shard.id}`);
        }
        return type === 'AT_SEQUENCE_NUMBER' ? parsed.counter : Math.min(parsed.counter + 1, end);
      }
    }
  }

  function getShardIterator(input: unknown, ctx: OperationContext): Record<string, unknown> {
    const checks = Checks.of(input);
    const ref = checks.streamRef();
    const shardId = checks.shardId('ShardId')!;
    const type = checks.string('ShardIteratorType', { required: true, oneOf: ITERATOR_TYPES }) as IteratorType;
    const sequenceNumber = checks.string('StartingSequenceNumber', { pattern: AWS_SEQUENCE_NUMBER_PATTERN, patternText: '0|([1-9]\\d{0,128})' });
    const timestampMs = checks.timestampMs('Timestamp');
    checks.done();
    const now = state.now();
    const stream = state.resolveWritable(ref, ctx, now);
    const index = shardIndexOf(shardId);
    const shard = index === undefined ? undefined : stream.shards[index];
    if (!shard) throw shardMissing(shardId, stream.name);

    const needsSequence = type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER';
    if (needsSequence !== (sequenceNumber !== undefined)) {
      throw invalidArgument(
        'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or ' +
          '(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. ' +
          `Request specified ${type} and ${needsSequence ? 'no' : 'also a'} StartingSequenceNumber.`,
      );
    }
    if (state.settings.limits && !admitShardIterator(shard.traffic, now)) throw state.throttled(shard, stream);
    state.trimShard(stream, shard, now);
    const position = startPosition(stream, shard, type, sequenceNumber, timestampMs, now);
    return {
      ShardIterator: state.iterators.encode({
        streamId: stream.id,
        streamCreatedMs: stream.createdMs,
        streamName: stream.name,
        shardIndex: shard.index,
        position,
        issuedMs: now,
      }),
    };
  }

  /** Returns the response as serialized JSON (records-json.ts); parse it if you call this in-process. */
  function getRecords(input: unknown, ctx: OperationContext): Buffer {
    const checks = Checks.of(input);
    const iterator = checks.string('ShardIterator', { required: true, minLength: 1, maxLength: SHARD_ITERATOR_MAX_CHARS })!;
    const limit = checks.integer('Limit', { min: 1, max: GET_RECORDS_MAX_RECORDS }) ?? GET_RECORDS_MAX_RECORDS;
    const ref = checks.streamRef();
    checks.done();
    const now = state.now();
    const position = state.iterators.decode(iterator);
    if (!position) throw invalidArgument('Invalid ShardIterator.');
    if (now - position.issuedMs > SHARD_ITERATOR_TTL_MS) {
      throw new ServiceError(
        'ExpiredIteratorException',
        `Iterator expired. The iterator was created at time ${amzUtc(position.issuedMs)} while right now it is ${amzUtc(now)} ` +
          `which is further in the future than the tolerated delay of ${SHARD_ITERATOR_TTL_MS} milliseconds.`,
      );
    }
    const stream = state.byId.get(position.streamId);
    const shardId = shardIdOf(position.shardIndex);
    if (!stream || stream.createdMs !== position.streamCreatedMs) throw shardMissing(shardId, position.streamName);
    if (ref.arn !== undefined && state.resolve(ref, ctx) !== stream) {
      throw invalidArgument(`StreamARN ${ref.arn} does not match the stream of the ShardIterator (${stream.arn}).`);
    }
    const shard = stream.shards[position.shardIndex];
    if (!shard) throw shardMissing(shardId, stream.name);
    if (state.settings.limits && !admitRead(shard.traffic, now)) throw state.throttled(shard, stream);

    state.trimShard(stream, shard, now);
    const records: StoredRecord[] = [];
    let i = shard.indexAtCounter(position.position);
    let bytes = 0;
    let next = position.position;
    while (i < shard.records.length && records.length < limit) {
      const r = shard.records[i]!;
      // The 10 MiB cap: stop before a record that would cross it (one record always fits).
      if (bytes + r.length > GET_RECORDS_MAX_BYTES && records.length > 0) break;
      bytes += r.length;
      records.push(r);
      next = r.counter + 1;
      i++;
    }
    if (state.settings.limits) chargeRead(shard.traffic, now, bytes);

    // The end of a closed shard: no NextShardIterator, and where to go next.
    const exhausted = shard.endingCounter !== undefined && i >= shard.records.length;
    return getRecordsJson({
      shard,
      records,
      millisBehindLatest: i < shard.records.length ? Math.max(0, now - shard.records[i]!.arrivalMs) : 0,
      nextShardIterator: exhausted ? undefined : state.iterators.encode({ ...position, position: Math.max(next, position.position), issuedMs: now }),
      childShards: exhausted ? stream.childrenOf(shard).map((c) => childShardShape(c, stream)) : undefined,
    });
  }

  return { GetShardIterator: getShardIterator, GetRecords: getRecords };
}

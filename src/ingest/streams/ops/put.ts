/**
 * PutRecord and PutRecords: the hot path. Per request: validate, route every record (MD5 or ExplicitHashKey),
 * admit it against its shard's window (or fail it by injected fault), then decode all accepted data from base64
 * straight into one journal frame, write that frame once, and only then make the records visible and answer.
 */
import { invalidArgument, ServiceError } from '../../server/service-error.js';
import type { Operation, OperationContext } from '../../server/types.js';
import { HASH_KEY_LIMIT, hashKeyToBuffer } from '../hash-key.js';
import { PARTITION_KEY_MAX_CHARS, PUT_RECORDS_MAX_ENTRIES, PUT_RECORDS_REQUEST_MAX_BYTES, RECORD_MAX_BYTES } from '../limits.js';
import type { Shard, StoredRecord, Stream } from '../model.js';
import { RECORDS_HEADER_BYTES, RecordsEncoder } from '../persistence.js';
import { AWS_SEQUENCE_NUMBER_PATTERN, parseSequenceNumber } from '../sequence-number.js';
import type { StreamsState } from '../state.js';
import { admitWrite, drawFault, type InjectedFault } from '../throughput.js';
import { base64DecodedLength, blobDisplay, Checks, notBase64, serializationErrorFor, type JsonObject } from '../validation.js';

const EHK_PATTERN = /^(0|[1-9]\d{0,38})$/;
const EHK_PATTERN_TEXT = '0|([1-9]\\d{0,38})';
const SEQUENCE_PATTERN_TEXT = '0|([1-9]\\d{0,128})';
const INTERNAL_FAILURE_MESSAGE = 'Internal service failure.';

interface Entry {
  readonly partitionKey: string;
  readonly partitionKeyBytes: number;
  readonly base64: string;
  readonly dataBytes: number;
  readonly explicitHashKey: string | undefined;
}

/** Per entry, in request order: its shard, and either its stored record or the fault that failed it. */
interface Outcomes {
  readonly shards: Shard[];
  readonly records: (StoredRecord | undefined)[];
  readonly faults: (InjectedFault | undefined)[];
}

/** Reads one entry; records constraint violations in `checks` and returns undefined if there were any. */
function readEntry(checks: Checks, raw: JsonObject): Entry | undefined {
  const pk = raw.PartitionKey;
  const data = raw.Data;
  const ehk = raw.ExplicitHashKey ?? undefined;
  // Fast path: well-formed entries (nearly all of them) skip the generic checks.
  if (
    typeof pk === 'string' && pk.length >= 1 && pk.length <= PARTITION_KEY_MAX_CHARS && typeof data === 'string' &&
    (ehk === undefined || (typeof ehk === 'string' && EHK_PATTERN.test(ehk)))
  ) {
    const dataBytes = base64DecodedLength(data);
    if (dataBytes < 0) throw notBase64(data);
    if (dataBytes <= RECORD_MAX_BYTES) {
      return { partitionKey: pk, partitionKeyBytes: Buffer.byteLength(pk, 'utf8'), base64: data, dataBytes, explicitHashKey: ehk };
    }
    checks.violation('Data', blobDisplay(dataBytes), `Member must have length less than or equal to ${RECORD_MAX_BYTES}`);
    return undefined;
  }
  const blob = checks.blob('Data', { required: true, maxBytes: RECORD_MAX_BYTES });
  const partitionKey = checks.string('PartitionKey', { required: true, minLength: 1, maxLength: PARTITION_KEY_MAX_CHARS });
  const explicitHashKey = checks.string('ExplicitHashKey', { pattern: EHK_PATTERN, patternText: EHK_PATTERN_TEXT });
  if (!blob || partitionKey === undefined || partitionKey.length < 1 || partitionKey.length > PARTITION_KEY_MAX_CHARS) return undefined;
  if (explicitHashKey !== undefined && !EHK_PATTERN.test(explicitHashKey)) return undefined;
  if (blob.bytes > RECORD_MAX_BYTES) return undefined;
  return { partitionKey, partitionKeyBytes: Buffer.byteLength(partitionKey, 'utf8'), base64: blob.base64, dataBytes: blob.bytes, explicitHashKey };
}

/** The checks AWS makes after validation: hash key range and the record size counting the partition key. */
function checkEntry(e: Entry): void {
  if (e.explicitHashKey !== undefined && BigInt(e.explicitHashKey) >= HASH_KEY_LIMIT) {
    throw invalidArgument(`Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${e.explicitHashKey}`);
  }
  if (e.dataBytes + e.partitionKeyBytes > RECORD_MAX_BYTES) {
    throw invalidArgument(
      `Record size (${e.dataBytes} bytes of data plus ${e.partitionKeyBytes} bytes of partition key) exceeds the stream's max record size of ${RECORD_MAX_BYTES} bytes.`,
    );
  }
}

/** Routes, admits and durably appends `entries`; the outcome of each, in order. */
function append(state: StreamsState, stream: Stream, entries: readonly Entry[], nowMs: number): Outcomes {
  const { rng, faultRate, limits } = state.settings;
  const n = entries.length;
  const shards = new Array<Shard>(n);
  const faults = new Array<InjectedFault | undefined>(n);
  let payloadBytes = RECORDS_HEADER_BYTES;
  let accepted = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    let key: Buffer;
    if (e.explicitHashKey === undefined) {
      state.md5.digestUtf8(e.partitionKey, state.hashKeyScratch);
      key = state.hashKeyScratch;
    } else {
      key = hashKeyToBuffer(BigInt(e.explicitHashKey));
    }
    const shard = stream.shardForHashKey(key);
    shards[i] = shard;
    let fault = drawFault(rng, faultRate);
    if (fault === undefined && limits && !admitWrite(shard.traffic, nowMs, e.dataBytes + e.partitionKeyBytes)) fault = 'ProvisionedThroughputExceededException';
    faults[i] = fault;
    if (fault === undefined) {
      accepted++;
      payloadBytes += RecordsEncoder.recordBytes(e.partitionKeyBytes, e.explicitHashKey?.length ?? 0, e.dataBytes);
    }
  }

  const records = new Array<StoredRecord | undefined>(n);
  // Counters are only tentative until the journal write succeeds: nothing is visible before that.
  const nextCounters = new Map<Shard, number>();
  if (accepted > 0) {
    const frame = state.store.allocRecords(payloadBytes);
    const encoder = new RecordsEncoder(frame.payload, stream.id, accepted);
    for (let i = 0; i < n; i++) {
      if (faults[i] !== undefined) continue;
      const e = entries[i]!;
      const shard = shards[i]!;
      const counter = nextCounters.get(shard) ?? shard.nextCounter;
      // Arrival times never go backwards within a shard, so AT_TIMESTAMP can binary-search them.
      const arrivalMs = Math.max(nowMs, shard.lastArrivalMs());
      const at = encoder.beginRecord(shard.index, counter, arrivalMs, e.partitionKey, e.partitionKeyBytes, e.explicitHashKey, e.dataBytes);
      if (frame.payload.write(e.base64, at, e.dataBytes, 'base64') !== e.dataBytes) throw notBase64(e.base64);
      records[i] = {
        counter,
        partitionKey: e.partitionKey,
        explicitHashKey: e.explicitHashKey,
        block: frame.payload,
        offset: at,
        length: e.dataBytes,
        arrivalMs,
        journalBytes: RecordsEncoder.recordBytes(e.partitionKeyBytes, e.explicitHashKey?.length ?? 0, e.dataBytes),
      };
      nextCounters.set(shard, counter + 1);
    }
    try {
      state.store.commitRecords(frame);
    } catch (err) {
      throw new ServiceError('InternalFailure', `${INTERNAL_FAILURE_MESSAGE} The records could not be journaled: ${(err as Error).message}`, 500);
    }
    for (let i = 0; i < n; i++) if (records[i]) shards[i]!.records.push(records[i]!);
    for (const [shard, next] of nextCounters) shard.nextCounter = next;
    // Only now (state consistent) may a trim trigger a compaction.
    for (const shard of nextCounters.keys()) state.trimShard(stream, shard, nowMs);
  }
  return { shards, records, faults };
}

function requireRequestSize(entries: readonly Entry[]): void {
  let total = 0;
  for (const e of entries) total += e.dataBytes + e.partitionKeyBytes;
  if (total > PUT_RECORDS_REQUEST_MAX_BYTES) {
    throw invalidArgument(
      `The PutRecords request is ${total} bytes (data plus partition keys), over the limit of ${PUT_RECORDS_REQUEST_MAX_BYTES} bytes; send fewer or smaller records per request.`,
    );
  }
}

export function putOperations(state: StreamsState): Record<string, Operation> {
  const { accountId } = state;

  function putRecord(input: unknown, ctx: OperationContext): Record<string, unknown> {
    const checks = Checks.of(input);
    const ref = checks.streamRef();
    const entry = readEntry(checks, (input ?? {}) as JsonObject);
    const ordering = checks.string('SequenceNumberForOrdering', { pattern: AWS_SEQUENCE_NUMBER_PATTERN, patternText: SEQUENCE_PATTERN_TEXT });
    checks.done();
    const now = state.now();
    const stream = state.resolveWritable(ref, ctx, now);
    checkEntry(entry!);
    if (ordering !== undefined) {
      const parsed = parseSequenceNumber(ordering);
      const shard = parsed && stream.shards[parsed.shardIndex];
      if (!shard || parsed.counter > shard.nextCounter) {
        throw invalidArgument(`ExclusiveMinimumSequenceNumber ${ordering} used in PutRecord on stream ${stream.name} under account ${accountId} is invalid.`);
      }
    }
    const { shards, records, faults } = append(state, stream, [entry!], now);
    const shard = shards[0]!;
    const record = records[0];
    if (!record) {
      if (faults[0] === 'InternalFailure') throw new ServiceError('InternalFailure', INTERNAL_FAILURE_MESSAGE, 500);
      throw state.throttled(shard, stream);
    }
    return { ShardId: shard.id, SequenceNumber: shard.sequenceNumberOf(record), EncryptionType: 'NONE' };
  }

  /** Answers with serialized JSON (a Buffer), as GetRecords does. */
  function putRecords(input: unknown, ctx: OperationContext): Buffer {
    const checks = Checks.of(input);
    const ref = checks.streamRef();
    const raw = checks.list('Records', { required: true, min: 1, max: PUT_RECORDS_MAX_ENTRIES });
    const entries: Entry[] = [];
    if (raw && raw.length <= PUT_RECORDS_MAX_ENTRIES) {
      for (let i = 0; i < raw.length; i++) {
        const item = raw[i];
        if (typeof item !== 'object' || item === null || Array.isArray(item)) throw serializationErrorFor(item);
        const entry = readEntry(checks.member('Records', i, item), item as JsonObject);
        if (entry) entries.push(entry);
      }
    }
    checks.done();
    const now = state.now();
    const stream = state.resolveWritable(ref, ctx, now);
    requireRequestSize(entries);
    for (const e of entries) checkEntry(e);

    const { shards, records, faults } = append(state, stream, entries, now);
    // Serialized by hand (the server sends a Buffer result as is): 500 small objects and a JSON.stringify walk
    // over them cost more than writing the few fixed-shape strings directly. Every piece is plain ASCII.
    let failed = 0;
    let body = '';
    for (let i = 0; i < entries.length; i++) {
      const shard = shards[i]!;
      const record = records[i];
      if (i > 0) body += ',';
      if (record) {
        body += `{"SequenceNumber":"${shard.sequenceNumberOf(record)}","ShardId":"${shard.id}"}`;
        continue;
      }
      failed++;
      body += faults[i] === 'InternalFailure'
        ? `{"ErrorCode":"InternalFailure","ErrorMessage":"${INTERNAL_FAILURE_MESSAGE}"}`
        : `{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":${JSON.stringify(state.rateExceededMessage(shard, stream))}}`;
    }
    return Buffer.from(`{"FailedRecordCount":${failed},"Records":[${body}],"EncryptionType":"NONE"}`, 'latin1');
  }

  return { PutRecord: putRecord, PutRecords: putRecords };
}

/**
 * The Firehose_20150804 operations: control plane (Create/Describe/List/Delete, tags) and Direct PUT
 * (PutRecord, PutRecordBatch). Errors are ServiceErrors with AWS's `__type`s and messages.
 */
import { invalidArgument, limitExceeded, resourceInUse, resourceNotFound, ServiceError, type ServiceError as ServiceErrorType } from '../server/service-error.js';
import type { Operation, OperationContext } from '../server/types.js';
import { parseCreateInput, STREAM_NAME_PATTERN } from './config.js';
import { MAX_BATCH_DATA_BYTES, MAX_BATCH_RECORDS, MAX_DELIVERY_STREAMS, MAX_RECORD_DATA_BYTES, MAX_TAGS } from './constants.js';
import { describeDeliveryStream } from './describe.js';
import { DeliveryStream, type DeliveryRuntime, type IncomingRecord } from './delivery-stream.js';
import type { StoredStream } from './journal-codec.js';
import { KinesisSource, type KinesisSourceDeps } from './kinesis-source.js';
import type { FirehoseStore } from './store.js';
import { requireObject, Violations } from './validation.js';

export interface Entry {
  readonly stream: DeliveryStream;
  readonly source: KinesisSource | undefined;
}

export interface ServiceState {
  readonly accountId: string;
  readonly faultRate: number;
  readonly lambdas: Readonly<Record<string, string>>;
  readonly entries: Map<string, Entry>;
  readonly runtime: DeliveryRuntime;
  readonly sourceDeps: KinesisSourceDeps;
  readonly store: FirehoseStore;
}

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const NOT_PERMITTED_ON_KINESIS_SOURCE = 'This operation is not permitted on KinesisStreamAsSource delivery stream type.';

export function firehoseOperations(state: ServiceState): Record<string, Operation> {
  const creating = new Set<string>();

  const notFound = (name: string): ServiceErrorType => resourceNotFound(`Firehose ${name} under account ${state.accountId} not found.`);

  const lookup = (input: unknown): Entry => {
    const body = requireObject(input, 'the request');
    const v = new Violations();
    if (v.required(body.DeliveryStreamName, 'deliveryStreamName')) v.string(body.DeliveryStreamName, 'deliveryStreamName', 1, 64, STREAM_NAME_PATTERN);
    v.throwIfAny();
    const entry = state.entries.get(body.DeliveryStreamName as string);
    if (!entry) throw notFound(body.DeliveryStreamName as string);
    return entry;
  };

  const directPut = (input: unknown): DeliveryStream => {
    const { stream } = lookup(input);
    if (stream.config.type === 'KinesisStreamAsSource') throw invalidArgument(NOT_PERMITTED_ON_KINESIS_SOURCE);
    return stream;
  };

  /** Each record independently fails as "Slow down." when fault injection picks it or the stream is full. */
  const throttled = (stream: DeliveryStream): boolean => !stream.hasRoom || (state.faultRate > 0 && state.runtime.rng.next() < state.faultRate);

  const idBase = (createdAt: number): string => {
    let random = '';
    for (let i = 0; i < 20; i++) random += Math.floor(state.runtime.rng.next() * 10);
    return `49${String(createdAt).padStart(14, '0')}${random}`;
  };

  return {
    async CreateDeliveryStream(input: unknown, ctx: OperationContext) {
      const config = parseCreateInput(input, state.lambdas);
      const tags = checkTags((input as { Tags?: unknown }).Tags, 'tags');
      if (state.entries.has(config.name) || creating.has(config.name)) {
        throw resourceInUse(`Firehose ${config.name} under account ${state.accountId} already exists.`);
      }
      if (state.entries.size + creating.size >= MAX_DELIVERY_STREAMS) {
        throw limitExceeded(`You have already consumed your firehose quota of ${MAX_DELIVERY_STREAMS} delivery streams.`);
      }
      const stored: StoredStream = { name: config.name, input: input as Record<string, unknown>, createdAt: ctx.now, versionId: 1, idBase: idBase(ctx.now), tags };
      const stream = new DeliveryStream(config, stored, state.accountId, state.runtime);
      creating.add(config.name);
      try {
        state.store.saveStream(stored);
        let source: KinesisSource | undefined;
        if (config.source) {
          source = new KinesisSource(stream, state.sourceDeps, new Map());
          try {
            await source.start();
          } catch (err) {
            state.store.deleteStream(config.name);
            const type = err instanceof ServiceError ? err.type : '';
            if (type === 'ResourceNotFoundException') {
              throw invalidArgument(`The source Kinesis stream ${config.source.streamArn} does not exist; create it first (kinesis CreateStream).`);
            }
            throw new ServiceError('ServiceUnavailableException', `Could not read the source Kinesis stream: ${(err as Error).message}`, 503);
          }
        }
        state.entries.set(config.name, { stream, source });
      } finally {
        creating.delete(config.name);
      }
      state.runtime.logger.info({ deliveryStream: config.name, type: config.type, destination: config.destination.kind }, 'delivery stream created');
      return { DeliveryStreamARN: stream.arn };
    },

    DescribeDeliveryStream(input: unknown) {
      const entry = lookup(input);
      const body = input as { Limit?: unknown; ExclusiveStartDestinationId?: unknown };
      const v = new Violations();
      v.integer(body.Limit, 'limit', 1, 10000);
      v.string(body.ExclusiveStartDestinationId, 'exclusiveStartDestinationId', 1, 100);
      v.throwIfAny();
      const description = describeDeliveryStream(entry.stream);
      if (body.ExclusiveStartDestinationId !== undefined) description.Destinations = [];
      return { DeliveryStreamDescription: description };
    },

    ListDeliveryStreams(input: unknown) {
      const body = requireObject(input ?? {}, 'the request');
      const v = new Violations();
      v.integer(body.Limit, 'limit', 1, 10000);
      v.oneOf(body.DeliveryStreamType, 'deliveryStreamType', ['DirectPut', 'KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource']);
      v.string(body.ExclusiveStartDeliveryStreamName, 'exclusiveStartDeliveryStreamName', 1, 64, STREAM_NAME_PATTERN);
      v.throwIfAny();
      const limit = (body.Limit as number | undefined) ?? 10;
      const after = body.ExclusiveStartDeliveryStreamName as string | undefined;
      const names = [...state.entries.values()]
        .filter((e) => body.DeliveryStreamType === undefined || e.stream.config.type === body.DeliveryStreamType)
        .map((e) => e.stream.name)
        .filter((n) => after === undefined || n > after)
        .sort();
      return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
    },

    DeleteDeliveryStream(input: unknown) {
      const entry = lookup(input);
      state.entries.delete(entry.stream.name);
      state.store.deleteStream(entry.stream.name);
      entry.source?.stop();
      // AWS deletes a stream with the data it still buffers; stop its delivery without holding up the call.
      state.runtime.track(entry.stream.stop());
      state.runtime.logger.info({ deliveryStream: entry.stream.name, undeliveredBytes: entry.stream.pendingBytes }, 'delivery stream deleted');
      return {};
    },

    PutRecord(input: unknown, ctx: OperationContext) {
      const stream = directPut(input);
      const record = (input as { Record?: unknown }).Record;
      const v = new Violations();
      let data: Buffer | undefined;
      if (v.required(record, 'record')) {
        data = decodeData((record as { Data?: unknown }).Data, 'record.data', v);
      }
      v.throwIfAny();
      if (throttled(stream)) throw new ServiceError('ServiceUnavailableException', 'Slow down.', 503);
      const [accepted] = stream.accept([{ data: data!, arrival: ctx.now }]);
      return { RecordId: stream.recordId(accepted!), Encrypted: false };
    },

    PutRecordBatch(input: unknown, ctx: OperationContext) {
      const stream = directPut(input);
      const records = (input as { Records?: unknown }).Records;
      const v = new Violations();
      if (v.required(records, 'records')) {
        if (!Array.isArray(records)) v.add(records, 'records', 'Member must be a list');
        else if (records.length < 1) v.add('[]', 'records', 'Member must have length greater than or equal to 1');
        else if (records.length > MAX_BATCH_RECORDS) v.add(`[${records.length} records]`, 'records', `Member must have length less than or equal to ${MAX_BATCH_RECORDS}`);
      }
      v.throwIfAny();
      const list = records as unknown[];
      const datas = list.map((r, i) => decodeData((r as { Data?: unknown } | null)?.Data, `records.${i + 1}.member.data`, v));
      v.throwIfAny();
      let total = 0;
      for (const d of datas) total += d!.length;
      if (total > MAX_BATCH_DATA_BYTES) throw invalidArgument('Records size exceeds 4 MB limit');

      const incoming: IncomingRecord[] = [];
      const failedAt = new Set<number>();
      datas.forEach((data, i) => {
        if (throttled(stream)) failedAt.add(i);
        else incoming.push({ data: data!, arrival: ctx.now });
      });
      const accepted = incoming.length > 0 ? stream.accept(incoming) : [];
      let next = 0;
      const responses = datas.map((_, i) =>
        failedAt.has(i) ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' } : { RecordId: stream.recordId(accepted[next++]!) },
      );
      return { FailedPutCount: failedAt.size, Encrypted: false, RequestResponses: responses };
    },

    TagDeliveryStream(input: unknown) {
      const { stream } = lookup(input);
      const tags = checkTags((input as { Tags?: unknown }).Tags, 'tags', true);
      const merged = new Map(stream.stored.tags.map((t) => [t.Key, t]));
      for (const t of tags) merged.set(t.Key, t);
      if (merged.size > MAX_TAGS) throw limitExceeded(`A delivery stream can have at most ${MAX_TAGS} tags.`);
      stream.stored = { ...stream.stored, tags: [...merged.values()] };
      state.store.saveStream(stream.stored);
      return {};
    },

    UntagDeliveryStream(input: unknown) {
      const { stream } = lookup(input);
      const keys = (input as { TagKeys?: unknown }).TagKeys;
      const v = new Violations();
      if (v.required(keys, 'tagKeys') && (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_TAGS || keys.some((k) => typeof k !== 'string'))) {
        v.add('[list]', 'tagKeys', `Member must be a list of 1 to ${MAX_TAGS} strings`);
      }
      v.throwIfAny();
      const drop = new Set(keys as string[]);
      stream.stored = { ...stream.stored, tags: stream.stored.tags.filter((t) => !drop.has(t.Key)) };
      state.store.saveStream(stream.stored);
      return {};
    },

    ListTagsForDeliveryStream(input: unknown) {
      const { stream } = lookup(input);
      const body = input as { ExclusiveStartTagKey?: unknown; Limit?: unknown };
      const v = new Violations();
      v.integer(body.Limit, 'limit', 1, MAX_TAGS);
      v.string(body.ExclusiveStartTagKey, 'exclusiveStartTagKey', 1, 128);
      v.throwIfAny();
      const limit = (body.Limit as number | undefined) ?? MAX_TAGS;
      const after = body.ExclusiveStartTagKey as string | undefined;
      const tags = [...stream.stored.tags].sort((a, b) => (a.Key < b.Key ? -1 : 1)).filter((t) => after === undefined || t.Key > after);
      return { Tags: tags.slice(0, limit), HasMoreTags: tags.length > limit };
    },
  };
}

/** Data arrives base64 in the JSON body; checks it is there and within 1,000 KiB decoded. */
function decodeData(value: unknown, path: string, v: Violations): Buffer | undefined {
  if (!v.required(value, path)) return undefined;
  if (typeof value !== 'string') {
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new ServiceError('SerializationException', `Expected a base64 string at '${path}'.`);
  }
  const size = Buffer.byteLength(value, 'base64');
  if (size > MAX_RECORD_DATA_BYTES) {
    v.add(`java.nio.HeapByteBuffer[pos=0 lim=${size} cap=${size}]`, path, `Member must have length less than or equal to ${MAX_RECORD_DATA_BYTES}`);
    return undefined;
  }
  return Buffer.from(value, 'base64');
}

function checkTags(value: unknown, path: string, required = false): Array<{ Key: string; Value?: string }> {
  const v = new Violations();
  if (value === undefined && !required) return [];
  if (!v.required(value, path)) v.throwIfAny();
  if (!Array.isArray(value)) throw new ServiceError('SerializationException', `Expected '${path}' to be a list of {Key, Value}.`);
  if (value.length > MAX_TAGS) throw limitExceeded(`A delivery stream can have at most ${MAX_TAGS} tags.`);
  const tags = value.map((raw: unknown, i: number) => {
    const t = requireObject(raw, 'Tag');
    if (v.required(t.Key, `${path}.${i + 1}.member.key`)) v.string(t.Key, `${path}.${i + 1}.member.key`, 1, 128, TAG_KEY);
    v.string(t.Value, `${path}.${i + 1}.member.value`, 0, 256, TAG_KEY);
    return t.Value === undefined ? { Key: t.Key as string } : { Key: t.Key as string, Value: t.Value as string };
  });
  v.throwIfAny();
  return tags;
}

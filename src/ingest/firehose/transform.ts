/**
 * Data transformation (data-transformation.md): records are sent to the Lambda in invocations of at most the
 * processor's buffer size, in AWS's event format, and the answer must honour the contract: every recordId back
 * exactly once, `result` Ok | Dropped | ProcessingFailed, base64 `data` for Ok. Ok records go on, Dropped ones
 * vanish, ProcessingFailed records and every record of an answer that breaks the contract become
 * processing-failed error records. Failed invocations are retried NumberOfRetries times.
 */
import type { Logger } from 'pino';
import type { Clock, Rng, Sleep } from '../../core/clock.js';
import { backoffDelayMs } from './backoff.js';
import type { Processor } from './config.js';
import type { Failure } from './error-records.js';
import { InvocationError, type LambdaInvoker } from './lambda-invoker.js';
import type { FirehoseRecord } from './records.js';
import { uuidFrom } from './s3-key.js';

export interface TransformedRecord {
  readonly record: FirehoseRecord;
  readonly data: Buffer;
}

export interface FailedRecord {
  readonly record: FirehoseRecord;
  readonly failure: Failure;
  readonly lambdaArn: string | undefined;
}

export interface TransformResult {
  readonly ok: TransformedRecord[];
  readonly failed: FailedRecord[];
}

export interface TransformContext {
  readonly deliveryStreamArn: string;
  readonly sourceKinesisStreamArn: string | undefined;
  readonly region: string;
  readonly recordId: (record: FirehoseRecord) => string;
  readonly invoker: LambdaInvoker;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly sleep: Sleep;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export async function transform(records: readonly FirehoseRecord[], processors: readonly Processor[], ctx: TransformContext): Promise<TransformResult> {
  let ok: TransformedRecord[] = records.map((record) => ({ record, data: record.data }));
  const failed: FailedRecord[] = [];
  for (const p of processors) {
    if (p.type === 'AppendDelimiterToRecord') {
      ok = ok.map((t) => ({ record: t.record, data: Buffer.concat([t.data, NEWLINE]) }));
      continue;
    }
    const next: TransformedRecord[] = [];
    for (const chunk of chunks(ok, p.bufferSizeBytes)) {
      const r = await invokeChunk(chunk, p.lambdaArn, p.numberOfRetries, ctx);
      next.push(...r.ok);
      failed.push(...r.failed);
    }
    ok = next;
  }
  return { ok, failed };
}

const NEWLINE = Buffer.from('\n');

function* chunks(records: readonly TransformedRecord[], maxBytes: number): Generator<TransformedRecord[]> {
  let chunk: TransformedRecord[] = [];
  let bytes = 0;
  for (const t of records) {
    if (chunk.length > 0 && bytes + t.data.length > maxBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(t);
    bytes += t.data.length;
  }
  if (chunk.length > 0) yield chunk;
}

async function invokeChunk(chunk: readonly TransformedRecord[], lambdaArn: string, retries: number, ctx: TransformContext): Promise<TransformResult> {
  const byId = new Map<string, TransformedRecord>();
  const events = chunk.map((t) => {
    const id = ctx.recordId(t.record);
    byId.set(id, t);
    const k = t.record.kinesis;
    return {
      recordId: id,
      approximateArrivalTimestamp: t.record.arrival,
      data: t.data.toString('base64'),
      ...(k
        ? {
            kinesisRecordMetadata: {
              shardId: k.shardId,
              partitionKey: k.partitionKey,
              approximateArrivalTimestamp: k.approximateArrivalTimestamp,
              sequenceNumber: k.sequenceNumber,
              subsequenceNumber: k.subsequenceNumber,
            },
          }
        : {}),
    };
  });
  const event = {
    invocationId: uuidFrom(ctx.rng),
    deliveryStreamArn: ctx.deliveryStreamArn,
    ...(ctx.sourceKinesisStreamArn ? { sourceKinesisStreamArn: ctx.sourceKinesisStreamArn } : {}),
    region: ctx.region,
    records: events,
  };

  const failAll = (errorCode: string, errorMessage: string, attemptsMade: number): TransformResult => {
    ctx.logger.warn({ lambdaArn, errorCode, errorMessage, records: chunk.length }, 'data transformation failed; records go to processing-failed');
    const failure = { errorCode, errorMessage, attemptsMade, attemptEndingTimestamp: ctx.clock.now() };
    return { ok: [], failed: chunk.map((t) => ({ record: t.record, failure, lambdaArn })) };
  };

  let answer: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      answer = await ctx.invoker.invoke(lambdaArn, event, ctx.signal);
      break;
    } catch (err) {
      const e = err instanceof InvocationError ? err : new InvocationError('Lambda.FunctionError', String(err));
      if (attempt > retries || ctx.signal.aborted) return failAll(e.errorCode, e.message, attempt);
      ctx.logger.debug({ lambdaArn, attempt, err: e.message }, 'Lambda invocation failed; retrying');
      await ctx.sleep(backoffDelayMs(attempt, ctx.rng), ctx.signal);
    }
  }
  return checkAnswer(answer, byId, lambdaArn, ctx, failAll);
}

function checkAnswer(
  answer: unknown,
  byId: Map<string, TransformedRecord>,
  lambdaArn: string,
  ctx: TransformContext,
  failAll: (code: string, message: string, attempts: number) => TransformResult,
): TransformResult {
  const list = (answer as { records?: unknown } | null)?.records;
  if (!Array.isArray(list)) return failAll('Lambda.JsonProcessingException', 'The answer has no records array.', 1);
  const seen = new Set<string>();
  for (const entry of list) {
    const id = (entry as { recordId?: unknown } | null)?.recordId;
    if (typeof id !== 'string' || !byId.has(id)) {
      return failAll('Lambda.JsonProcessingException', `The answer holds a recordId that was not in the invocation: ${String(id)}.`, 1);
    }
    if (seen.has(id)) return failAll('Lambda.DuplicatedRecordId', `Multiple records were returned with the same record ID ${id}.`, 1);
    seen.add(id);
  }
  if (seen.size !== byId.size) {
    const missing = [...byId.keys()].find((id) => !seen.has(id));
    return failAll('Lambda.MissingRecordId', `One or more record IDs were not returned, e.g. ${missing}.`, 1);
  }

  const ok: TransformedRecord[] = [];
  const failed: FailedRecord[] = [];
  const now = ctx.clock.now();
  const fail = (t: TransformedRecord, errorCode: string, errorMessage: string): void => {
    failed.push({ record: t.record, lambdaArn, failure: { errorCode, errorMessage, attemptsMade: 1, attemptEndingTimestamp: now } });
  };
  // Keep the input order, whatever order the answer lists the records in.
  const answers = new Map((list as Array<{ recordId: string; result?: unknown; data?: unknown }>).map((e) => [e.recordId, e]));
  for (const [id, t] of byId) {
    const entry = answers.get(id)!;
    if (entry.result === 'Ok') {
      if (typeof entry.data !== 'string' || !isBase64(entry.data)) fail(t, 'Lambda.JsonProcessingException', `Record ${id} is Ok but its data is not base64.`);
      else ok.push({ record: t.record, data: Buffer.from(entry.data, 'base64') });
    } else if (entry.result === 'ProcessingFailed') {
      fail(t, 'Lambda.ProcessingFailed', 'The Lambda function returned ProcessingFailed for this record.');
    } else if (entry.result !== 'Dropped') {
      fail(t, 'Lambda.JsonProcessingException', `Record ${id} has result ${JSON.stringify(entry.result)}; expected Ok, Dropped or ProcessingFailed.`);
    }
  }
  if (failed.length > 0) ctx.logger.info({ lambdaArn, failed: failed.length }, 'the Lambda function failed some records; they go to processing-failed');
  return { ok, failed };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (s: string): boolean => s.length % 4 === 0 && BASE64.test(s);

/**
 * The raw awsJson1_1 requests of the lean load generator, and just enough reading of the answers to count what
 * they did. Bodies and headers are built once, before timing; per request the generator only picks one and
 * sends it, so the client costs a small fraction of what the AWS SDK costs (no serialisation, no SigV4).
 */
import { createHash, randomBytes } from 'node:crypto';

export const TARGET_PREFIX = 'Kinesis_20131202';
const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';
const SDK_VERSION = '3.1142.0';

/** A request ready to send: the exact bytes and the headers the SDK would send with them. */
export interface PreparedRequest {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The headers the SDK sends (captured from @aws-sdk/client-kinesis 3.x), minus the per-request invocation id,
 * which the sender adds. The signature is a dummy of the right shape: no server under test verifies it by
 * default, but kinesalite and kinesis-local insist that one is present and well formed.
 */
export function sdkLikeHeaders(operation: string, body: Buffer, now: Date): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, ''); // 20240101T000000Z
  const signedHeaders = 'amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent';
  return {
    'content-type': AMZ_JSON_1_1,
    'x-amz-target': `${TARGET_PREFIX}.${operation}`,
    'content-length': String(body.length),
    'x-amz-user-agent': `aws-sdk-js/${SDK_VERSION}`,
    'user-agent': `aws-sdk-js/${SDK_VERSION} kedge-bench-lean`,
    'amz-sdk-request': 'attempt=1; max=1',
    'x-amz-date': amzDate,
    'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    authorization:
      `AWS4-HMAC-SHA256 Credential=AKIDKEDGETEST/${amzDate.slice(0, 8)}/us-east-1/kinesis/aws4_request, ` +
      `SignedHeaders=${signedHeaders}, Signature=${'0'.repeat(64)}`,
  };
}

/** `count` distinct PutRecords bodies of `records` × `recordBytes` random bytes, random hex partition keys. */
export function putRecordsPool(stream: string, count: number, records: number, recordBytes: number, now: Date): PreparedRequest[] {
  return Array.from({ length: count }, () => {
    const entries = Array.from(
      { length: records },
      () => `{"Data":"${randomBytes(recordBytes).toString('base64')}","PartitionKey":"${randomBytes(12).toString('hex')}"}`,
    );
    const body = Buffer.from(`{"Records":[${entries.join(',')}],"StreamName":${JSON.stringify(stream)}}`, 'latin1');
    return { body, headers: sdkLikeHeaders('PutRecords', body, now) };
  });
}

export function jsonRequest(operation: string, input: unknown, now: Date): PreparedRequest {
  const body = Buffer.from(JSON.stringify(input), 'utf8');
  return { body, headers: sdkLikeHeaders(operation, body, now) };
}

/** `FailedRecordCount` of a PutRecords answer, or undefined if the answer has none. */
export function failedRecordCount(answer: Buffer): number | undefined {
  // The answer is ~50 KiB of ASCII for 500 records; the count is near its start in every peer's answer.
  const match = /"FailedRecordCount"\s*:\s*(\d+)/.exec(answer.toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

/** The string value of the last `"key": "..."` in `json`; undefined if there is none or it is null. */
export function lastStringValue(json: Buffer, key: string): string | undefined {
  const at = json.lastIndexOf(`"${key}"`);
  if (at < 0) return undefined;
  const open = skipToValue(json, at + key.length + 2);
  if (json[open] !== 0x22) return undefined;
  const close = json.indexOf(0x22, open + 1);
  return close < 0 ? undefined : json.toString('latin1', open + 1, close);
}

export interface RecordsCount {
  readonly records: number;
  /** Decoded bytes of every record's `Data`. */
  readonly bytes: number;
}

/**
 * Counts the records of a GetRecords answer and their data bytes without parsing it: a 10,000-record answer
 * is ~14 MiB of JSON, and a full JSON.parse of it would cost the client more than the server spent on it.
 * Safe for the bench's records: base64 data and hex partition keys hold no quotes or key names.
 */
export function countRecords(json: Buffer): RecordsCount {
  let records = 0;
  let bytes = 0;
  let at = 0;
  for (;;) {
    const key = json.indexOf('"Data"', at);
    if (key < 0) break;
    const open = skipToValue(json, key + 6);
    const close = json.indexOf(0x22, open + 1);
    if (json[open] !== 0x22 || close < 0) break;
    records++;
    bytes += base64Bytes(json, open + 1, close);
    at = close + 1;
  }
  return { records, bytes };
}

/** Past optional whitespace, a colon and whitespace: where a JSON value starts. */
function skipToValue(json: Buffer, at: number): number {
  let i = at;
  while (json[i] === 0x20 || json[i] === 0x0a || json[i] === 0x0d || json[i] === 0x09 || json[i] === 0x3a) i++;
  return i;
}

function base64Bytes(json: Buffer, start: number, end: number): number {
  const length = end - start;
  let padding = 0;
  if (length > 0 && json[end - 1] === 0x3d) padding++;
  if (length > 1 && json[end - 2] === 0x3d) padding++;
  return Math.floor((length * 3) / 4) - padding;
}

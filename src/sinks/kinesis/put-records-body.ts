/**
 * The PutRecords request body (awsJson1.1), written by us into one buffer of exactly its size:
 *
 *   {"StreamName":"s","Records":[{"Data":"<base64>","PartitionKey":"k","ExplicitHashKey":"123"},…]}
 *
 * Why not the SDK's serializer: it grows its output by doubling from 2 KiB (a 1.4 MB body allocates
 * and copies about twice that) and base64-encodes in a JavaScript loop, per request; a producer
 * draining a backlog sends hundreds of such requests a minute, and on a small device that churn was
 * a large part of its memory. Here each entry's data is base64-encoded straight into the body. The
 * request itself is sent by direct-client.ts (or by an SDK client the application brought, sdk-calls.ts).
 */

/** One PutRecords entry (a user record, or a KPL aggregate). */
export interface PutRecordsBodyEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
}

import { base64Into, base64Length } from './base64.js';

const DATA = Buffer.from('{"Data":"', 'latin1');
const PARTITION_KEY = Buffer.from('","PartitionKey":', 'latin1');
const EXPLICIT_HASH_KEY = Buffer.from(',"ExplicitHashKey":"', 'latin1');
const QUOTE = 0x22;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;

/** `text` as a JSON string literal (escaped only when it has to be). */
export function jsonString(text: string): string {
  // Nearly every key is printable ASCII without quotes or backslashes: then the literal is the text in quotes.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === 0x5c) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/** `allocate`: where the body goes (a recycled buffer of exactly `bytes`); default a new one. */
export function putRecordsBody(streamName: string, entries: readonly PutRecordsBodyEntry[], allocate?: (bytes: number) => Buffer): Buffer {
  const head = Buffer.from(`{"StreamName":${jsonString(streamName)},"Records":[`, 'utf8');
  const keys = new Array<string>(entries.length);
  let size = head.length + 2; // ...]}
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const key = jsonString(entry.partitionKey);
    keys[i] = key;
    size += DATA.length + base64Length(entry.data.byteLength) + PARTITION_KEY.length + Buffer.byteLength(key, 'utf8') + 1; // }
    if (entry.explicitHashKey !== undefined) size += EXPLICIT_HASH_KEY.length + entry.explicitHashKey.length + 1; // "
    if (i > 0) size += 1; // ,
  }
  const body = allocate !== undefined ? allocate(size) : Buffer.allocUnsafe(size);
  const bodyView = new DataView(body.buffer, body.byteOffset, body.length);
  let at = head.copy(body, 0);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (i > 0) body[at++] = COMMA;
    at += DATA.copy(body, at);
    at = base64Into(entry.data, body, bodyView, at);
    at += PARTITION_KEY.copy(body, at);
    at += body.write(keys[i]!, at, 'utf8');
    if (entry.explicitHashKey !== undefined) {
      at += EXPLICIT_HASH_KEY.copy(body, at);
      // A valid ExplicitHashKey is decimal digits.
      at += body.write(entry.explicitHashKey, at, 'latin1');
      body[at++] = QUOTE;
    }
    body[at++] = CLOSE_BRACE;
  }
  body[at++] = 0x5d; // ]
  body[at++] = CLOSE_BRACE;
  if (at !== size) throw new Error(`PutRecords body size accounting is wrong: wrote ${at} bytes, expected ${size}.`);
  return body;
}

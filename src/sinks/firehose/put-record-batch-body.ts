/**
 * The PutRecordBatch request body (awsJson1.1), written by us into one buffer of exactly its size,
 * each record's data base64-encoded straight into it (as put-records-body.ts does for PutRecords):
 *
 *   {"DeliveryStreamName":"s","Records":[{"Data":"<base64>"},…]}
 */
import { base64Into, base64Length } from '../kinesis/base64.js';
import { jsonString } from '../kinesis/put-records-body.js';

const RECORD_OPEN = Buffer.from('{"Data":"', 'latin1');
const RECORD_CLOSE = Buffer.from('"}', 'latin1');
const COMMA = 0x2c;

/** `allocate`: where the body goes (a recycled buffer of exactly `bytes`); default a new one. */
export function putRecordBatchBody(deliveryStreamName: string, records: readonly { readonly data: Uint8Array }[], allocate?: (bytes: number) => Buffer): Buffer {
  const head = Buffer.from(`{"DeliveryStreamName":${jsonString(deliveryStreamName)},"Records":[`, 'utf8');
  let size = head.length + 2; // ]}
  for (let i = 0; i < records.length; i++) {
    size += RECORD_OPEN.length + base64Length(records[i]!.data.byteLength) + RECORD_CLOSE.length;
    if (i > 0) size += 1;
  }
  const body = allocate !== undefined ? allocate(size) : Buffer.allocUnsafe(size);
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  let at = head.copy(body, 0);
  for (let i = 0; i < records.length; i++) {
    if (i > 0) body[at++] = COMMA;
    at += RECORD_OPEN.copy(body, at);
    at = base64Into(records[i]!.data, body, view, at);
    at += RECORD_CLOSE.copy(body, at);
  }
  body[at++] = 0x5d; // ]
  body[at++] = 0x7d; // }
  if (at !== size) throw new Error(`PutRecordBatch body size accounting is wrong: wrote ${at} bytes, expected ${size}.`);
  return body;
}

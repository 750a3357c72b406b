/**
 * De-aggregation of KPL records (reference/kds.md §2.1), which Firehose does before delivery and before Lambda:
 *
 *   magic F3 89 9A C2 | protobuf AggregatedRecord | MD5 of the protobuf bytes (16)
 *   AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
 *                      repeated Record records = 3; }
 *   Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *            required bytes data = 3; repeated Tag tags = 4; }
 *
 * Like the KCL, a record that has the magic but a wrong MD5 or a malformed body is not an aggregate: it is passed
 * through unchanged as one user record.
 */
import { createHash } from 'node:crypto';
import { ProtobufError, ProtobufReader, WIRE_LENGTH_DELIMITED, WIRE_VARINT } from './protobuf.js';

export const KPL_MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const MD5_BYTES = 16;

export interface UserRecord {
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly data: Buffer;
  /** Position inside the aggregate (0 for a plain record). */
  readonly subSequenceNumber: number;
}

export function hasKplMagic(data: Uint8Array): boolean {
  return data.length >= KPL_MAGIC.length + MD5_BYTES && data[0] === 0xf3 && data[1] === 0x89 && data[2] === 0x9a && data[3] === 0xc2;
}

/**
 * The user records in one Kinesis record. `partitionKey` and `explicitHashKey` are the Kinesis record's own,
 * used when the record is not an aggregate.
 */
export function deaggregate(data: Buffer, partitionKey: string, explicitHashKey?: string): UserRecord[] {
  const plain = [{ partitionKey, explicitHashKey, data, subSequenceNumber: 0 }];
  if (!hasKplMagic(data)) return plain;
  const body = data.subarray(KPL_MAGIC.length, data.length - MD5_BYTES);
  const digest = createHash('md5').update(body).digest();
  if (!digest.equals(data.subarray(data.length - MD5_BYTES))) return plain;
  try {
    return parseAggregate(body);
  } catch (err) {
    if (err instanceof ProtobufError) return plain;
    throw err;
  }
}

function parseAggregate(body: Buffer): UserRecord[] {
  const partitionKeys: string[] = [];
  const hashKeys: string[] = [];
  const records: Array<{ pk: number; ehk: number | undefined; data: Buffer }> = [];
  const reader = new ProtobufReader(body);
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (field === 1 && wire === WIRE_LENGTH_DELIMITED) partitionKeys.push(utf8(reader.bytes()));
    else if (field === 2 && wire === WIRE_LENGTH_DELIMITED) hashKeys.push(utf8(reader.bytes()));
    else if (field === 3 && wire === WIRE_LENGTH_DELIMITED) records.push(parseRecord(reader.bytes()));
    else reader.skip(wire);
  }
  return records.map((r, i) => {
    const pk = partitionKeys[r.pk];
    if (pk === undefined) throw new ProtobufError(`partition_key_index ${r.pk} outside the table of ${partitionKeys.length}`);
    let ehk: string | undefined;
    if (r.ehk !== undefined) {
      ehk = hashKeys[r.ehk];
      if (ehk === undefined) throw new ProtobufError(`explicit_hash_key_index ${r.ehk} outside the table of ${hashKeys.length}`);
    }
    return { partitionKey: pk, explicitHashKey: ehk, data: r.data, subSequenceNumber: i };
  });
}

function parseRecord(bytes: Uint8Array): { pk: number; ehk: number | undefined; data: Buffer } {
  const reader = new ProtobufReader(bytes);
  let pk: number | undefined;
  let ehk: number | undefined;
  let data: Buffer | undefined;
  while (!reader.done) {
    const [field, wire] = reader.key();
    if (field === 1 && wire === WIRE_VARINT) pk = reader.varint();
    else if (field === 2 && wire === WIRE_VARINT) ehk = reader.varint();
    else if (field === 3 && wire === WIRE_LENGTH_DELIMITED) {
      const view = reader.bytes();
      data = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    } else reader.skip(wire);
  }
  if (pk === undefined) throw new ProtobufError('record without partition_key_index');
  if (data === undefined) throw new ProtobufError('record without data');
  return { pk, ehk, data };
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

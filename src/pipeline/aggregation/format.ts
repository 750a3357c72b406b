/**
 * The KPL aggregated record format (reference/kds.md §2.1; KPL `aggregation-format.md`,
 * `messages.proto`, `kinesis_record.h`):
 *
 * ```
 * [0..4)     magic F3 89 9A C2
 * [4..N)     protobuf AggregatedRecord (proto2)
 * [N..N+16)  MD5 of the protobuf bytes only (not the magic)
 *
 * message AggregatedRecord { repeated string partition_key_table = 1;
 *                            repeated string explicit_hash_key_table = 2;
 *                            repeated Record records = 3; }
 * message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *                  required bytes data = 3; repeated Tag tags = 4; }
 * ```
 *
 * A Kinesis record holding one user record is sent raw (no magic); one holding two or more uses the
 * partition key "a" and the first user record's hash key as ExplicitHashKey.
 */

export const KPL_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
export const KPL_MAGIC_BYTES = 4;
export const KPL_DIGEST_BYTES = 16;
/** Magic plus MD5 trailer: what an aggregated record adds around its protobuf bytes. */
export const KPL_FIXED_OVERHEAD_BYTES = KPL_MAGIC_BYTES + KPL_DIGEST_BYTES;

/** KPL's partition key for aggregated records: one byte, "to save space"; the EHK does the routing. */
export const AGGREGATED_PARTITION_KEY = 'a';

/** KPL's default AggregationMaxSize: the largest aggregated record it builds (§2.6). */
export const KPL_AGGREGATION_MAX_BYTES_DEFAULT = 51_200;
/** KPL's default AggregationMaxCount (2^32 − 1, i.e. no practical limit). */
export const KPL_AGGREGATION_MAX_RECORDS_DEFAULT = 4_294_967_295;

// Protobuf wire types and the one-byte tags (field number << 3 | wire type) of the messages above.
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

export const TAG_PARTITION_KEY_TABLE = (1 << 3) | WIRE_LENGTH_DELIMITED;
export const TAG_EXPLICIT_HASH_KEY_TABLE = (2 << 3) | WIRE_LENGTH_DELIMITED;
export const TAG_RECORDS = (3 << 3) | WIRE_LENGTH_DELIMITED;
export const TAG_RECORD_PARTITION_KEY_INDEX = (1 << 3) | WIRE_VARINT;
export const TAG_RECORD_EXPLICIT_HASH_KEY_INDEX = (2 << 3) | WIRE_VARINT;
export const TAG_RECORD_DATA = (3 << 3) | WIRE_LENGTH_DELIMITED;

/** True if `data` is long enough to be an aggregated record and starts with the KPL magic. */
export function hasAggregateMagic(data: Uint8Array): boolean {
  return (
    data.length >= KPL_FIXED_OVERHEAD_BYTES &&
    data[0] === 0xf3 &&
    data[1] === 0x89 &&
    data[2] === 0x9a &&
    data[3] === 0xc2
  );
}

/**
 * Typed access to aws-kinesis-agg (awslabs/kinesis-aggregation, npm; CommonJS), the independent
 * implementation our aggregation format is checked against. Loaded with createRequire because the
 * package's own .d.ts imports aws-sdk v2 types we do not install.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface AggUserRecord {
  partitionKey: string;
  explicitPartitionKey?: string;
  sequenceNumber: string;
  subSequenceNumber?: number;
  data: string; // base64
}

interface AwsKinesisAgg {
  deaggregateSync(
    kinesisRecord: { data: string; partitionKey: string; explicitPartitionKey?: string; sequenceNumber: string },
    computeChecksums: boolean,
    callback: (error: Error | null | undefined, userRecords?: AggUserRecord[]) => void,
  ): void;
  aggregate(
    records: Array<{ data: Buffer; partitionKey: string; explicitHashKey?: string }>,
    encodedRecordHandler: (encoded: { data: Buffer; partitionKey: string; ExplicitHashKey?: string }, done: (error?: Error) => void) => void,
    afterPutAggregatedRecords: () => void,
    errorCallback: (error: Error, data?: unknown) => void,
    queueSize?: number,
  ): void;
}

interface ProtobufAggregatedRecord {
  partition_key_table: string[];
  explicit_hash_key_table: string[];
  records: Array<{ partition_key_index: unknown; explicit_hash_key_index: unknown; data: Uint8Array }>;
}

export const awsKinesisAgg = require('aws-kinesis-agg') as AwsKinesisAgg;
const common = require('aws-kinesis-agg/lib/common.js') as { AggregatedRecord: { decode(bytes: Uint8Array): ProtobufAggregatedRecord } };

export interface IndependentlyDecodedRecord {
  partitionKey: string;
  explicitHashKey: string | undefined;
  data: Buffer;
}

/**
 * De-aggregates with aws-kinesis-agg's deaggregateSync, MD5 verification ON. Throws its error.
 *
 * Quirk of aws-kinesis-agg: a sub-record without explicit_hash_key_index is reported with the EHK
 * at index 0 (protobufjs's default for the absent optional field) whenever the table is non-empty.
 * Compare its EHKs only for records that carried one.
 */
export function deaggregateWithAwsKinesisAgg(entry: {
  data: Uint8Array;
  partitionKey: string;
  explicitHashKey?: string | undefined;
}): IndependentlyDecodedRecord[] {
  let result: IndependentlyDecodedRecord[] | undefined;
  let failure: Error | undefined;
  const kinesisRecord = {
    data: Buffer.from(entry.data).toString('base64'),
    partitionKey: entry.partitionKey,
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    ...(entry.explicitHashKey === undefined ? {} : { explicitPartitionKey: entry.explicitHashKey }),
  };
  awsKinesisAgg.deaggregateSync(kinesisRecord, true, (error, userRecords) => {
    if (error) failure = error;
    else
      result = (userRecords ?? []).map((r) => ({
        partitionKey: r.partitionKey,
        explicitHashKey: r.explicitPartitionKey,
        data: Buffer.from(r.data, 'base64'),
      }));
  });
  if (failure) throw failure;
  if (!result) throw new Error('aws-kinesis-agg did not call back');
  return result;
}

/** The decoded protobuf tables of an aggregated record (bytes between magic and MD5), via protobufjs. */
export function decodeTablesWithProtobufjs(aggregatedData: Uint8Array): ProtobufAggregatedRecord {
  return common.AggregatedRecord.decode(aggregatedData.subarray(4, aggregatedData.length - 16));
}

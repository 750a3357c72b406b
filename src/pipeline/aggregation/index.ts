/** KPL record aggregation: hash keys, the aggregator (per shard) and our de-aggregator. */
export { Aggregator, aggregateRecords, type AggregatorOptions, type KinesisEntry, type UserRecord } from './aggregator.js';
export {
  AggregateFormatError,
  deaggregate,
  type AggregateFormatErrorCode,
  type DeaggregatedRecord,
  type ReceivedKinesisRecord,
} from './deaggregate.js';
export {
  AGGREGATED_PARTITION_KEY,
  hasAggregateMagic,
  KPL_AGGREGATION_MAX_BYTES_DEFAULT,
  KPL_AGGREGATION_MAX_RECORDS_DEFAULT,
  KPL_FIXED_OVERHEAD_BYTES,
  KPL_MAGIC,
} from './format.js';
export {
  compareHashKeys,
  HASH_KEY_BYTES,
  hashKeyFromBigInt,
  hashKeyFromDecimal,
  hashKeyOfPartitionKey,
  hashKeyOfRecord,
  hashKeyToBigInt,
  hashKeyToDecimal,
  type HashKey,
} from './hash-key.js';

/**
 * De-aggregation of KPL records (reference/kds.md §2.1), which Firehose does before delivery and before Lambda.
 * The format and its reader are the producer's (pipeline/aggregation/deaggregate.ts); what is Firehose's own is
 * the policy: like the KCL, a record that has the magic but a wrong MD5 or a malformed body is not an aggregate, and
 * is passed through unchanged as one user record.
 */
import { AggregateFormatError, deaggregate as readAggregate } from '../../pipeline/aggregation/deaggregate.js';
import { hasAggregateMagic } from '../../pipeline/aggregation/format.js';

export { KPL_MAGIC } from '../../pipeline/aggregation/format.js';

export interface UserRecord {
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly data: Buffer;
  /** Position inside the aggregate (0 for a plain record). */
  readonly subSequenceNumber: number;
}

/**
 * The user records in one Kinesis record. `partitionKey` and `explicitHashKey` are the Kinesis record's own,
 * used when the record is not an aggregate.
 */
export function deaggregate(data: Buffer, partitionKey: string, explicitHashKey?: string): UserRecord[] {
  const plain = (): UserRecord[] => [{ partitionKey, explicitHashKey, data, subSequenceNumber: 0 }];
  if (!hasAggregateMagic(data)) return plain();
  try {
    return readAggregate({ data, partitionKey, explicitHashKey }).map((r, i) => ({
      partitionKey: r.partitionKey,
      explicitHashKey: r.explicitHashKey,
      data: r.data,
      subSequenceNumber: i,
    }));
  } catch (err) {
    // AGGREGATE_CHECKSUM_MISMATCH or AGGREGATE_MALFORMED: not an aggregate after all, as the KCL decides.
    if (err instanceof AggregateFormatError) return plain();
    throw err;
  }
}

/** The records a delivery stream buffers, whatever their source. */

/** Where a record came from when the source is a Kinesis data stream (the Lambda event's kinesisRecordMetadata). */
export interface KinesisMetadata {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly subsequenceNumber: number;
  /** Milliseconds since the epoch. */
  readonly approximateArrivalTimestamp: number;
}

export interface FirehoseRecord {
  /** Per delivery stream, increasing in acceptance order; the journal marks delivery as "up to seq". */
  readonly seq: number;
  readonly data: Buffer;
  /** Milliseconds since the epoch the record arrived (Direct PUT) or entered its Kinesis stream. */
  readonly arrival: number;
  readonly kinesis?: KinesisMetadata | undefined;
}

/**
 * Record ids look like AWS's long decimal ids: a per-stream base (from its creation) and the record's seq.
 * They are derived, not stored, so the id a PutRecord returned is the id the Lambda sees after a restart.
 */
export function recordId(idBase: string, seq: number): string {
  return idBase + String(seq).padStart(20, '0');
}

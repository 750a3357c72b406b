/**
 * AWS's error record formats for records Firehose could not deliver (written one JSON document per line):
 * data transformation failures (data-transformation.md) and HTTP endpoint failures (basic-deliver.md).
 */
import type { FirehoseRecord } from './records.js';

export interface Failure {
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attemptsMade: number;
  /** When Firehose stopped trying (ms). */
  readonly attemptEndingTimestamp: number;
}

export function processingFailedRecord(record: FirehoseRecord, failure: Failure, lambdaArn: string | undefined): { line: string; arrival: number } {
  return {
    arrival: record.arrival,
    line: JSON.stringify({
      attemptsMade: failure.attemptsMade,
      arrivalTimestamp: record.arrival,
      errorCode: failure.errorCode,
      errorMessage: failure.errorMessage,
      attemptEndingTimestamp: failure.attemptEndingTimestamp,
      rawData: record.data.toString('base64'),
      lambdaArn,
    }),
  };
}

/** `data` is what was sent (after transformation); the Kinesis fields appear when the source is a Kinesis stream. */
export function httpEndpointFailedRecord(record: FirehoseRecord, data: Buffer, failure: Failure): { line: string; arrival: number } {
  const k = record.kinesis;
  return {
    arrival: record.arrival,
    line: JSON.stringify({
      attemptsMade: failure.attemptsMade,
      arrivalTimestamp: record.arrival,
      errorCode: failure.errorCode,
      errorMessage: failure.errorMessage,
      attemptEndingTimestamp: failure.attemptEndingTimestamp,
      rawData: data.toString('base64'),
      ...(k ? { subsequenceNumber: k.subsequenceNumber, dataId: `${k.sequenceNumber}.${k.subsequenceNumber}` } : {}),
    }),
  };
}

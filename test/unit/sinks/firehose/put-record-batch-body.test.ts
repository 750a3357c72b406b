/** The PutRecordBatch body we write ourselves must be exactly the JSON the service expects. */
import { describe, expect, it } from 'vitest';
import { putRecordBatchBody } from '../../../../src/sinks/firehose/put-record-batch-body.js';
import { readBatchOutcomes } from '../../../../src/sinks/firehose/put-record-batch.js';
import { seededRng } from '../../../helpers/seeded-rng.js';

describe('PutRecordBatch body', () => {
  it('is the awsJson PutRecordBatch request: the delivery stream and every record base64, at every length', () => {
    const rng = seededRng(12);
    const records = Array.from({ length: 60 }, (_, i) => ({ data: Uint8Array.from(Array.from({ length: i % 7 === 0 ? i % 3 : rng.int(900) }, () => rng.int(256))) }));
    const body = putRecordBatchBody('logs.prod-1', records);
    expect(JSON.parse(body.toString('utf8'))).toEqual({
      DeliveryStreamName: 'logs.prod-1',
      Records: records.map((r) => ({ Data: Buffer.from(r.data).toString('base64') })),
    });
  });

  it('writes into the buffer it is given, of exactly the body size', () => {
    let asked = 0;
    const body = putRecordBatchBody('s', [{ data: Buffer.from('abc') }, { data: Buffer.from('de') }], (bytes) => {
      asked = bytes;
      return Buffer.alloc(bytes, 0x20);
    });
    expect(body.length).toBe(asked);
    expect(body.toString('utf8')).toBe('{"DeliveryStreamName":"s","Records":[{"Data":"YWJj"},{"Data":"ZGU="}]}');
  });
});

describe('PutRecordBatch answer', () => {
  it('reads JSON nulls as absent fields: a RecordId with ErrorCode null is stored', () => {
    expect(readBatchOutcomes(3, [{ RecordId: 'r1', ErrorCode: null }, { ErrorCode: 'ServiceUnavailableException', ErrorMessage: null }, { RecordId: null }])).toEqual([
      { ok: true },
      { ok: false, errorCode: 'ServiceUnavailableException', errorMessage: '' },
      { ok: false, errorCode: 'InternalFailure', errorMessage: 'The result entry has neither RecordId nor ErrorCode.' },
    ]);
  });
});

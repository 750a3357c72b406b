/** The PutRecords body we write ourselves must be exactly the JSON the service expects. */
import { describe, expect, it } from 'vitest';
import { putRecordsBody } from '../../../../src/sinks/kinesis/put-records-body.js';
import { seededRng } from '../../../helpers/seeded-rng.js';

const expected = (stream: string, entries: Array<{ data: Uint8Array; partitionKey: string; explicitHashKey: string | undefined }>): unknown => ({
  StreamName: stream,
  Records: entries.map((e) => ({
    Data: Buffer.from(e.data).toString('base64'),
    PartitionKey: e.partitionKey,
    ...(e.explicitHashKey !== undefined ? { ExplicitHashKey: e.explicitHashKey } : {}),
  })),
});

describe('PutRecords body', () => {
  it('is the awsJson PutRecords request: base64 data of every length, keys and hash keys as given', () => {
    const rng = seededRng(9);
    const entries = Array.from({ length: 40 }, (_, i) => ({
      data: Uint8Array.from(Array.from({ length: i % 5 === 0 ? 0 : rng.int(700) }, () => rng.int(256))),
      partitionKey: `device-${i}`,
      explicitHashKey: i % 3 === 0 ? String(rng.int(1e9)) : undefined,
    }));
    const body = putRecordsBody('telemetry.prod-1', entries);
    expect(JSON.parse(body.toString('utf8'))).toEqual(expected('telemetry.prod-1', entries));
  });

  it('escapes partition keys that JSON must escape, and writes other Unicode as UTF-8', () => {
    const keys = ['quote"back\\slash', 'tab\tnew\nline', 'clé-ü', '中文😀', '\u0001ctl', 'a'];
    const entries = keys.map((partitionKey, i) => ({ data: Buffer.from(`r${i}`), partitionKey, explicitHashKey: undefined }));
    const body = putRecordsBody('s', entries);
    expect(JSON.parse(body.toString('utf8'))).toEqual(expected('s', entries));
  });

  it('is a valid request with no entries', () => {
    expect(JSON.parse(putRecordsBody('s', []).toString())).toEqual({ StreamName: 's', Records: [] });
  });
});

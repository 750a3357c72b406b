import { describe, expect, it } from 'vitest';
import { formatSequenceNumber, parseSequenceNumber, sequencePrefix } from '../../../../src/ingest/streams/sequence-number.js';
import { b64, harness } from './harness.js';

const numeric = (a: string, b: string): number => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

describe('sequence numbers', () => {
  it('are decimal strings that AWS clients accept (0|[1-9]\\d{0,128})', () => {
    const seq = formatSequenceNumber(sequencePrefix(7), 42);
    expect(seq).toMatch(/^(0|[1-9]\d{0,128})$/);
    expect(parseSequenceNumber(seq)).toEqual({ shardIndex: 7, counter: 42 });
    expect(parseSequenceNumber('49590338271490256608559692538361571095921575989136588898')).toBeUndefined();
    expect(parseSequenceNumber('1000000000007999999999999999999999')).toBeUndefined();
  });

  it('grow strictly within a shard across PutRecord and PutRecords, numerically and as strings', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const seqs: string[] = [];
    for (let i = 0; i < 5; i++) seqs.push((await h.call('PutRecord', { StreamName: 's', PartitionKey: `k${i}`, Data: b64('x') })).SequenceNumber);
    const batch = await h.call('PutRecords', { StreamName: 's', Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `p${i}`, Data: b64('y') })) });
    seqs.push(...batch.Records.map((r: any) => r.SequenceNumber));
    for (let i = 1; i < seqs.length; i++) {
      expect(numeric(seqs[i - 1]!, seqs[i]!)).toBe(-1);
      expect(seqs[i - 1]! < seqs[i]!).toBe(true);
    }
    const { StreamDescription } = await h.call('DescribeStream', { StreamName: 's' });
    expect(numeric(StreamDescription.Shards[0].SequenceNumberRange.StartingSequenceNumber, seqs[0]!)).toBe(-1);
  });

  it('are unique across the shards of a stream', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 4 });
    const batch = await h.call('PutRecords', { StreamName: 's', Records: Array.from({ length: 200 }, (_, i) => ({ PartitionKey: `key-${i}`, Data: b64('z') })) });
    const seqs = batch.Records.map((r: any) => r.SequenceNumber);
    expect(new Set(seqs).size).toBe(200);
    expect(new Set(batch.Records.map((r: any) => r.ShardId)).size).toBe(4);
  });

  it('accepts SequenceNumberForOrdering from an earlier put and rejects one it never issued', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const first = await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('1') });
    const second = await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('2'), SequenceNumberForOrdering: first.SequenceNumber });
    expect(numeric(first.SequenceNumber, second.SequenceNumber)).toBe(-1);
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('3'), SequenceNumberForOrdering: '123' }, 'InvalidArgumentException',
      'ExclusiveMinimumSequenceNumber 123 used in PutRecord on stream s under account 000000000000 is invalid.');
    await h.fail('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('3'), SequenceNumberForOrdering: '01' }, 'ValidationException', /sequenceNumberForOrdering/);
  });
});

import { describe, expect, it } from 'vitest';
import { b64, harness, unb64 } from './harness.js';

async function streamWithRecords(count = 3) {
  const h = await harness();
  await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
  const seqs: string[] = [];
  for (let i = 0; i < count; i++) {
    seqs.push((await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64(`r${i}`) })).SequenceNumber);
    h.clock.advance(1000);
  }
  const iterator = async (type: string, extra: Record<string, unknown> = {}) =>
    (await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: type, ...extra })).ShardIterator as string;
  const read = async (it: string) => h.call('GetRecords', { ShardIterator: it });
  return { h, seqs, iterator, read };
}

const data = (out: any): string[] => out.Records.map((r: any) => unb64(r.Data));

describe('shard iterators', () => {
  it('start where each of the five types says', async () => {
    const { h, seqs, iterator, read } = await streamWithRecords();
    expect(data(await read(await iterator('TRIM_HORIZON')))).toEqual(['r0', 'r1', 'r2']);
    expect(data(await read(await iterator('AT_SEQUENCE_NUMBER', { StartingSequenceNumber: seqs[1] })))).toEqual(['r1', 'r2']);
    expect(data(await read(await iterator('AFTER_SEQUENCE_NUMBER', { StartingSequenceNumber: seqs[1] })))).toEqual(['r2']);
    // Records arrived at T0, T0+1s, T0+2s.
    expect(data(await read(await iterator('AT_TIMESTAMP', { Timestamp: (h.clock.ms - 2000) / 1000 })))).toEqual(['r1', 'r2']);
    expect(data(await read(await iterator('AT_TIMESTAMP', { Timestamp: (h.clock.ms - 2500) / 1000 })))).toEqual(['r1', 'r2']);
    const latest = await iterator('LATEST');
    expect(data(await read(latest))).toEqual([]);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('r3') });
    expect(data(await read(latest))).toEqual(['r3']);
  });

  it('carry on from where the previous read stopped via NextShardIterator', async () => {
    const { h, iterator, read } = await streamWithRecords(5);
    const first = await h.call('GetRecords', { ShardIterator: await iterator('TRIM_HORIZON'), Limit: 2 });
    expect(data(first)).toEqual(['r0', 'r1']);
    const second = await read(first.NextShardIterator);
    expect(data(second)).toEqual(['r2', 'r3', 'r4']);
    const third = await read(second.NextShardIterator);
    expect(third.Records).toEqual([]);
    expect(third.NextShardIterator).toEqual(expect.any(String));
  });

  it('reject a tampered iterator with InvalidArgumentException', async () => {
    const { iterator, h } = await streamWithRecords();
    const good = await iterator('TRIM_HORIZON');
    const bytes = Buffer.from(good, 'base64');
    bytes[17]! ^= 1; // the position
    await h.fail('GetRecords', { ShardIterator: bytes.toString('base64') }, 'InvalidArgumentException', 'Invalid ShardIterator.');
    await h.fail('GetRecords', { ShardIterator: 'AAAAAAAAAAEAAAAA' }, 'InvalidArgumentException', 'Invalid ShardIterator.');
    await h.fail('GetRecords', { ShardIterator: 'not an iterator at all' }, 'InvalidArgumentException', 'Invalid ShardIterator.');
  });

  it('reject an iterator issued by another target (another secret)', async () => {
    const a = await streamWithRecords();
    const b = await streamWithRecords();
    await b.h.fail('GetRecords', { ShardIterator: await a.iterator('TRIM_HORIZON') }, 'InvalidArgumentException', 'Invalid ShardIterator.');
  });

  it('expire five minutes after they were issued', async () => {
    const { h, iterator, read } = await streamWithRecords();
    const it1 = await iterator('TRIM_HORIZON');
    h.clock.advance(300_000);
    expect(data(await read(it1))).toEqual(['r0', 'r1', 'r2']);
    h.clock.advance(1);
    const err = await h.fail('GetRecords', { ShardIterator: it1 }, 'ExpiredIteratorException');
    expect(err.message).toMatch(/^Iterator expired\. The iterator was created at time \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4} while right now it is .* tolerated delay of 300000 milliseconds\.$/);
  });

  it('issue a fresh five minutes with every NextShardIterator', async () => {
    const { h, iterator, read } = await streamWithRecords();
    let it1 = await iterator('TRIM_HORIZON');
    for (let i = 0; i < 3; i++) {
      h.clock.advance(200_000);
      it1 = (await read(it1)).NextShardIterator;
    }
    h.clock.advance(200_000);
    await expect(read(it1)).resolves.toMatchObject({ Records: [] });
  });

  it('insist on StartingSequenceNumber exactly for AT_ and AFTER_SEQUENCE_NUMBER', async () => {
    const { h, seqs } = await streamWithRecords();
    const base = { StreamName: 's', ShardId: 'shardId-000000000000' };
    await h.fail('GetShardIterator', { ...base, ShardIteratorType: 'AT_SEQUENCE_NUMBER' }, 'InvalidArgumentException', /Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber\.$/);
    await h.fail('GetShardIterator', { ...base, ShardIteratorType: 'LATEST', StartingSequenceNumber: seqs[0] }, 'InvalidArgumentException', /Request specified LATEST and also a StartingSequenceNumber\.$/);
    await h.fail('GetShardIterator', { ...base, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: '12345' }, 'InvalidArgumentException',
      'StartingSequenceNumber 12345 used in GetShardIterator on shard shardId-000000000000 in stream s under account 000000000000 is invalid.');
    await h.fail('GetShardIterator', { ...base, ShardIteratorType: 'SOMEWHERE' }, 'ValidationException', /Member must satisfy enum value set: \[AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP\]/);
  });

  it('reject a sequence number of another shard, naming both shards', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 2 });
    const put = await h.call('PutRecord', { StreamName: 's', PartitionKey: 'a', Data: b64('x') }); // 'a' hashes to shard 0
    await h.fail('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000001', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: put.SequenceNumber },
      'InvalidArgumentException', 'Invalid StartingSequenceNumber. It encodes shardId-000000000000, while it was used in a call to a shard with shardId-000000000001');
  });

  it('refuse AT_TIMESTAMP without a timestamp or with one in the future', async () => {
    const { h } = await streamWithRecords();
    const base = { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP' };
    await h.fail('GetShardIterator', base, 'InvalidArgumentException', /Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP/);
    await h.fail('GetShardIterator', { ...base, Timestamp: (h.clock.ms + 1000) / 1000 }, 'InvalidArgumentException', /cannot be greater than the currentTimestampInMillis/);
  });

  it('answer for an unknown shard with ResourceNotFoundException', async () => {
    const { h } = await streamWithRecords();
    await h.fail('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000009', ShardIteratorType: 'LATEST' }, 'ResourceNotFoundException',
      'Shard shardId-000000000009 in stream s under account 000000000000 does not exist');
  });

  it('die with their stream: an iterator of a deleted and re-created stream is not found', async () => {
    const { h, iterator } = await streamWithRecords();
    const old = await iterator('TRIM_HORIZON');
    await h.call('DeleteStream', { StreamName: 's' });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.fail('GetRecords', { ShardIterator: old }, 'ResourceNotFoundException', /Shard shardId-000000000000 in stream s under account 000000000000 does not exist/);
  });
});

import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../../../src/ingest/store/journal.js';
import { b64, harness, ManualClock, readAll, tempDir, unb64, type Harness } from './harness.js';

const HOUR = 3_600_000;
const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d.path;
}

const journalPath = (dataDir: string) => join(dataDir, 'streams.journal');
const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** Everything a client can observe about the streams, for before/after comparisons. */
async function snapshot(h: Harness): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const name of (await h.call('ListStreams')).StreamNames as string[]) {
    const shards = (await h.call('ListShards', { StreamName: name })).Shards;
    const records: Record<string, unknown> = {};
    for (const s of shards) records[s.ShardId] = (await readAll(h, name, s.ShardId)).records;
    out[name] = {
      summary: (await h.call('DescribeStreamSummary', { StreamName: name })).StreamDescriptionSummary,
      shards,
      tags: (await h.call('ListTagsForStream', { StreamName: name })).Tags,
      records,
    };
  }
  return out;
}

describe('persistence', () => {
  it('restores streams, shards, tags, retention and every record after a crash without close', async () => {
    const dataDir = dir();
    const clock = new ManualClock();
    const h = await harness({ dataDir, clock });
    await h.call('CreateStream', { StreamName: 'a', ShardCount: 2, Tags: { owner: 'me' } });
    await h.call('CreateStream', { StreamName: 'b', StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    await h.call('IncreaseStreamRetentionPeriod', { StreamName: 'a', RetentionPeriodHours: 48 });
    await h.call('PutRecord', { StreamName: 'a', PartitionKey: 'ünï', Data: b64(allBytes) });
    clock.advance(1234);
    await h.call('PutRecord', { StreamName: 'a', PartitionKey: 'k', ExplicitHashKey: (1n << 127n).toString(), Data: '' });
    await h.call('SplitShard', { StreamName: 'a', ShardToSplit: 'shardId-000000000001', NewStartingHashKey: ((1n << 127n) + (1n << 126n)).toString() });
    clock.advance(1);
    await h.call('PutRecords', { StreamName: 'a', Records: Array.from({ length: 50 }, (_, i) => ({ PartitionKey: `p${i}`, Data: b64(`data ${i}`) })) });
    await h.call('PutRecords', { StreamName: 'b', Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `q${i}`, Data: b64(Buffer.alloc(i, i)) })) });
    await h.call('AddTagsToStream', { StreamName: 'b', Tags: { x: 'y' } });
    const before = await snapshot(h);
    // No close(): the process "dies" here; a new service opens the same directory.
    const reopened = await harness({ dataDir, clock });
    expect(await snapshot(reopened)).toEqual(before);
    const records = (before as any).a.records['shardId-000000000000'];
    expect(Buffer.from(records.find((r: any) => r.PartitionKey === 'ünï').Data, 'base64')).toEqual(allBytes);
    await reopened.service.close();
  });

  it('keeps shard iterators valid across a restart, at the same position', async () => {
    const dataDir = dir();
    const clock = new ManualClock();
    const h = await harness({ dataDir, clock });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('PutRecords', { StreamName: 's', Records: ['r0', 'r1', 'r2'].map((d) => ({ PartitionKey: 'k', Data: b64(d) })) });
    const first = await h.call('GetRecords', {
      ShardIterator: (await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator,
      Limit: 1,
    });
    const reopened = await harness({ dataDir, clock });
    const rest = await reopened.call('GetRecords', { ShardIterator: first.NextShardIterator });
    expect(rest.Records.map((r: any) => unb64(r.Data))).toEqual(['r1', 'r2']);
    await reopened.service.close();
  });

  it('never reuses a sequence number after a restart, even when every record was trimmed', async () => {
    const dataDir = dir();
    const clock = new ManualClock();
    const h = await harness({ dataDir, clock });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const old = await h.call('PutRecords', { StreamName: 's', Records: Array.from({ length: 3 }, () => ({ PartitionKey: 'k', Data: b64('x') })) });
    clock.advance(25 * HOUR);
    const reopened = await harness({ dataDir, clock });
    expect((await readAll(reopened, 's', 'shardId-000000000000')).records).toEqual([]);
    const fresh = await reopened.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('y') });
    expect(BigInt(fresh.SequenceNumber) > BigInt(old.Records[2].SequenceNumber)).toBe(true);
    const again = await harness({ dataDir, clock });
    const third = await again.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('z') });
    expect(BigInt(third.SequenceNumber) > BigInt(fresh.SequenceNumber)).toBe(true);
    await reopened.service.close();
    await again.service.close();
  });

  it('ignores a torn tail and a corrupt last entry, keeping everything before them', async () => {
    const dataDir = dir();
    const clock = new ManualClock();
    const h = await harness({ dataDir, clock });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('kept') });
    const goodSize = statSync(journalPath(dataDir)).size;
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('corrupted') });
    // Flip a byte inside the last entry's payload, then append half an entry.
    const bytes = readFileSync(journalPath(dataDir));
    bytes[bytes.length - 2]! ^= 0xff;
    writeFileSync(journalPath(dataDir), bytes);
    appendFileSync(journalPath(dataDir), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 3, 9, 9]));
    const reopened = await harness({ dataDir, clock });
    expect((await readAll(reopened, 's', 'shardId-000000000000')).records.map((r) => unb64(r.Data))).toEqual(['kept']);
    expect(statSync(journalPath(dataDir)).size).toBe(goodSize);
    await reopened.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('after') });
    const third = await harness({ dataDir, clock });
    expect((await readAll(third, 's', 'shardId-000000000000')).records.map((r) => unb64(r.Data))).toEqual(['kept', 'after']);
    await reopened.service.close();
    await third.service.close();
  });

  it('journals each PutRecords request as one binary entry', async () => {
    const dataDir = dir();
    const h = await harness({ dataDir });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 4 });
    await h.call('PutRecords', { StreamName: 's', Records: Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `k${i}`, Data: b64(Buffer.alloc(1024, i)) })) });
    await h.service.close();
    const { journal, entries } = Journal.open(journalPath(dataDir));
    journal.close();
    const recordEntries = entries.filter((e) => e.type === 3);
    expect(recordEntries).toHaveLength(1);
    // 500 KiB of data plus a few dozen bytes per record: no JSON, no base64.
    expect(recordEntries[0]!.payload.length).toBeLessThan(500 * 1024 + 500 * 40);
  });

  it('compacts the journal when trimmed or deleted data dominates, keeping live data', async () => {
    const dataDir = dir();
    const clock = new ManualClock();
    const h = await harness({ dataDir, clock, compactMinBytes: 64 * 1024 });
    await h.call('CreateStream', { StreamName: 'gone', ShardCount: 1 });
    await h.call('CreateStream', { StreamName: 'kept', ShardCount: 1 });
    const kilo = b64(Buffer.alloc(1024, 1));
    for (let i = 0; i < 4; i++) await h.call('PutRecords', { StreamName: 'gone', Records: Array.from({ length: 50 }, () => ({ PartitionKey: 'k', Data: kilo })) });
    await h.call('PutRecord', { StreamName: 'kept', PartitionKey: 'k', Data: b64('old') });
    clock.advance(23 * HOUR);
    await h.call('PutRecord', { StreamName: 'kept', PartitionKey: 'k', Data: b64('young') });
    const grown = statSync(journalPath(dataDir)).size;
    expect(grown).toBeGreaterThan(200 * 1024);
    await h.call('DeleteStream', { StreamName: 'gone' });
    const compacted = statSync(journalPath(dataDir)).size;
    expect(compacted).toBeLessThan(8 * 1024);
    clock.advance(2 * HOUR);
    const reopened = await harness({ dataDir, clock });
    expect((await reopened.call('ListStreams')).StreamNames).toEqual(['kept']);
    expect((await readAll(reopened, 'kept', 'shardId-000000000000')).records.map((r) => unb64(r.Data))).toEqual(['young']);
    await reopened.service.close();
  });

  it('compacts after retention trims most records', async () => {
    const dataDir = dir();
    const clock = new ManualClock();
    const h = await harness({ dataDir, clock, compactMinBytes: 64 * 1024 });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const kilo = b64(Buffer.alloc(1024, 1));
    for (let i = 0; i < 4; i++) await h.call('PutRecords', { StreamName: 's', Records: Array.from({ length: 50 }, () => ({ PartitionKey: 'k', Data: kilo })) });
    clock.advance(24 * HOUR + 1);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('survivor') });
    expect(statSync(journalPath(dataDir)).size).toBeLessThan(8 * 1024);
    const reopened = await harness({ dataDir, clock });
    expect((await readAll(reopened, 's', 'shardId-000000000000')).records.map((r) => unb64(r.Data))).toEqual(['survivor']);
    await reopened.service.close();
  });

  it('keeps nothing on disk without a dataDir', async () => {
    const clock = new ManualClock();
    const h = await harness({ clock });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    const other = await harness({ clock });
    expect((await other.call('ListStreams')).StreamNames).toEqual([]);
    await h.service.close();
  });
});

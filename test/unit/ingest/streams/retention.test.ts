import { afterEach, describe, expect, it } from 'vitest';
import { b64, harness, ManualClock, readAll, tempDir, unb64 } from './harness.js';

const HOUR = 3_600_000;
const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

describe('retention', () => {
  it('trims records once they are older than the retention period on the clock', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('old') });
    h.clock.advance(12 * HOUR);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('new') });
    h.clock.advance(12 * HOUR);
    expect((await readAll(h, 's', 'shardId-000000000000')).records.map((r) => unb64(r.Data))).toEqual(['old', 'new']);
    h.clock.advance(1);
    expect((await readAll(h, 's', 'shardId-000000000000')).records.map((r) => unb64(r.Data))).toEqual(['new']);
  });

  it('skips trimmed records for an iterator that pointed at them', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('old') });
    h.clock.advance(23 * HOUR);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('new') });
    h.clock.advance(HOUR + 1);
    // A new iterator's five minutes start now; its position (TRIM_HORIZON when issued) is the trimmed record.
    const { ShardIterator } = await h.call('GetShardIterator', { StreamName: 's', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: 0 });
    expect((await h.call('GetRecords', { ShardIterator })).Records.map((r: any) => unb64(r.Data))).toEqual(['new']);
  });

  it('keeps records longer after IncreaseStreamRetentionPeriod', async () => {
    const h = await harness();
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('r') });
    await h.call('IncreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 48 });
    expect((await h.call('DescribeStreamSummary', { StreamName: 's' })).StreamDescriptionSummary.RetentionPeriodHours).toBe(48);
    h.clock.advance(47 * HOUR);
    expect((await readAll(h, 's', 'shardId-000000000000')).records).toHaveLength(1);
    h.clock.advance(HOUR + 1);
    expect((await readAll(h, 's', 'shardId-000000000000')).records).toHaveLength(0);
  });

  it('drops what is past the new period at once on DecreaseStreamRetentionPeriod, for good (also across a restart)', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new ManualClock();
    const h = await harness({ dataDir: dir.path, clock });
    await h.call('CreateStream', { StreamName: 's', ShardCount: 1 });
    await h.call('IncreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 72 });
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('old') });
    clock.advance(30 * HOUR);
    await h.call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: b64('new') });
    await h.call('DecreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 24 });
    await h.call('IncreaseStreamRetentionPeriod', { StreamName: 's', RetentionPeriodHours: 72 });
    expect((await readAll(h, 's', 'shardId-000000000000')).records.map((r) => unb64(r.Data))).toEqual(['new']);
    const reopened = await harness({ dataDir: dir.path, clock });
    expect((await readAll(reopened, 's', 'shardId-000000000000')).records.map((r) => unb64(r.Data))).toEqual(['new']);
    await reopened.service.close();
  });
});

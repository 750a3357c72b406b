/**
 * Kinesis Data Streams as source, against the real in-process streams service (src/ingest/streams), both driven
 * by the same manual clock.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openStreamsService, type StreamsService } from '../../../../src/ingest/streams/service.js';
import type { OperationContext } from '../../../../src/ingest/server/types.js';
import { ManualClock } from '../../../helpers/manual-clock.js';
import { seededRng } from '../../../helpers/seeded-rng.js';
import { ACCOUNT, b64, listObjects, makeDir, openHarness, REGION, ROLE, s3Stream, type Harness } from './harness.js';

const SOURCE_ARN = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/src`;
const FIXTURES = join(import.meta.dirname, '../../../fixtures/kpl');

interface World {
  dir: string;
  clock: ManualClock;
  kinesis: StreamsService;
  h: Harness;
  kds(op: string, input: unknown): Promise<any>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  (globalThis as any).__kinesisEvents = [];
});

async function world(options: { dir?: string; persistent?: boolean; lambdas?: Record<string, string>; clock?: ManualClock } = {}): Promise<World> {
  const dir = options.dir ?? (await makeDir());
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 10, 25, 21, 30, 5, 123));
  const kinesis = await openStreamsService({
    dataDir: options.persistent ? join(dir, 'kds') : undefined,
    clock,
    rng: seededRng(11),
    limits: false,
    faultRate: 0,
    accountId: ACCOUNT,
    region: REGION,
  });
  const h = await openHarness({ dir, clock, streams: kinesis, dataDir: options.persistent ? join(dir, 'fh') : undefined, lambdas: options.lambdas ?? {} });
  const ctx = (): OperationContext => ({ requestId: 'r', region: REGION, accountId: ACCOUNT, now: clock.now() });
  return { dir, clock, kinesis, h, kds: async (op, input) => kinesis.operations[op]!(input, ctx()) };
}

function track(w: World): World {
  cleanups.push(async () => {
    await w.h.close();
    await w.kinesis.close();
    await rm(w.dir, { recursive: true, force: true });
  });
  return w;
}

const fromKinesis = (name: string, destination: Record<string, unknown> = {}) =>
  s3Stream(name, { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 }, ...destination }, {
    DeliveryStreamType: 'KinesisStreamAsSource',
    KinesisStreamSourceConfiguration: { KinesisStreamARN: SOURCE_ARN, RoleARN: ROLE },
  });

const bodies = async (w: World): Promise<string> => (await listObjects(w.h.s3Dir, 'bucket')).map((o) => o.body.toString()).join('');

describe('Kinesis Data Streams as source', () => {
  it('reads from LATEST at creation: earlier records are not delivered, later ones are', async () => {
    const w = track(await world());
    await w.kds('CreateStream', { StreamName: 'src', ShardCount: 2 });
    await w.kds('PutRecord', { StreamName: 'src', PartitionKey: 'p', Data: b64('before|') });
    await w.h.call('CreateDeliveryStream', fromKinesis('fromkds'));
    for (let i = 0; i < 5; i++) await w.kds('PutRecord', { StreamName: 'src', PartitionKey: `k${i}`, Data: b64(`after${i}|`) });
    await w.h.advance(1_000); // poll
    await w.h.advance(60_000); // buffer interval
    const delivered = (await bodies(w)).split('|').filter(Boolean).sort();
    expect(delivered).toEqual(['after0', 'after1', 'after2', 'after3', 'after4']);
  });

  it('de-aggregates KPL records before delivery', async () => {
    const w = track(await world());
    await w.kds('CreateStream', { StreamName: 'src', ShardCount: 1 });
    await w.h.call('CreateDeliveryStream', fromKinesis('agg'));
    const kpl = readFileSync(join(FIXTURES, 'kpl-real-4-records-with-ehk.bin'));
    await w.kds('PutRecord', { StreamName: 'src', PartitionKey: 'a', Data: kpl.toString('base64') });
    await w.h.advance(1_000);
    await w.h.advance(60_000);
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'kpl-real-4-records-with-ehk.json'), 'utf8')).expectedUserRecords.map((r: { data: string }) => r.data);
    expect(await bodies(w)).toBe(expected.join(''));
  });

  it('sends de-aggregated records to the Lambda with kinesisRecordMetadata and sourceKinesisStreamArn', async () => {
    const dir = await makeDir();
    const handler = join(dir, 'capture.mjs');
    await writeFile(
      handler,
      'export const handler = async (event) => { (globalThis.__kinesisEvents ??= []).push(event); return { records: event.records.map((r) => ({ recordId: r.recordId, result: "Ok", data: r.data })) }; };',
    );
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:capture';
    const w = track(await world({ dir, lambdas: { [arn]: handler } }));
    await w.kds('CreateStream', { StreamName: 'src', ShardCount: 1 });
    await w.h.call(
      'CreateDeliveryStream',
      fromKinesis('lam', { ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: arn }] }] } }),
    );
    const put = await w.kds('PutRecord', { StreamName: 'src', PartitionKey: 'a', Data: readFileSync(join(FIXTURES, 'kpl-real-8-records-no-ehk.bin')).toString('base64') });
    await w.h.advance(1_000);
    await w.h.advance(60_000);
    const [event] = (globalThis as any).__kinesisEvents;
    expect(event.sourceKinesisStreamArn).toBe(SOURCE_ARN);
    expect(event.records).toHaveLength(8);
    const expectedKeys = JSON.parse(readFileSync(join(FIXTURES, 'kpl-real-8-records-no-ehk.json'), 'utf8')).expectedUserRecords.map((r: { partitionKey: string }) => r.partitionKey);
    event.records.forEach((r: any, i: number) => {
      expect(r.kinesisRecordMetadata).toEqual({
        shardId: 'shardId-000000000000',
        partitionKey: expectedKeys[i],
        approximateArrivalTimestamp: Date.UTC(2026, 10, 25, 21, 30, 5, 123),
        sequenceNumber: put.SequenceNumber,
        subsequenceNumber: i,
      });
    });
  });

  it('follows resharding: reads the parent to its end, then the children', async () => {
    const w = track(await world());
    await w.kds('CreateStream', { StreamName: 'src', ShardCount: 1 });
    await w.h.call('CreateDeliveryStream', fromKinesis('reshard'));
    await w.kds('PutRecord', { StreamName: 'src', PartitionKey: 'p', Data: b64('parent1|') });
    await w.kds('UpdateShardCount', { StreamName: 'src', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' });
    for (let i = 0; i < 6; i++) await w.kds('PutRecord', { StreamName: 'src', PartitionKey: `child-key-${i}`, Data: b64(`child${i}|`) });
    for (let i = 0; i < 15; i++) await w.h.advance(1_000); // polls, shard list refresh (10 s), polls of the children
    await w.h.advance(60_000);
    const delivered = (await bodies(w)).split('|').filter(Boolean);
    expect(delivered[0]).toBe('parent1');
    expect(delivered.slice(1).sort()).toEqual(['child0', 'child1', 'child2', 'child3', 'child4', 'child5']);
  });

  it('refuses a source stream that does not exist', async () => {
    const w = track(await world());
    await expect(w.h.call('CreateDeliveryStream', fromKinesis('nosrc'))).rejects.toMatchObject({ type: 'InvalidArgumentException', message: expect.stringContaining('does not exist') });
    await expect(w.h.call('DescribeDeliveryStream', { DeliveryStreamName: 'nosrc' })).rejects.toMatchObject({ type: 'ResourceNotFoundException' });
  });

  it('keeps its read position across a crash: records read before are not read again, records put while down are not skipped', async () => {
    const dir = await makeDir();
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 21, 30, 5, 123));
    const first = await world({ dir, clock, persistent: true });
    await first.kds('CreateStream', { StreamName: 'src', ShardCount: 1 });
    await first.h.call('CreateDeliveryStream', fromKinesis('durable'));
    await first.kds('PutRecord', { StreamName: 'src', PartitionKey: 'p', Data: b64('one|') });
    await first.h.advance(1_000); // 'one' is read and journaled, not yet delivered
    expect(await bodies(first)).toBe('');
    // Crash: drop both services without closing them. 'two' arrives while the Firehose side is down.
    await first.kds('PutRecord', { StreamName: 'src', PartitionKey: 'p', Data: b64('two|') });

    const second = track(await world({ dir, clock, persistent: true }));
    cleanups.push(async () => {
      await first.h.service.close();
      await first.kinesis.close();
    });
    await second.kds('PutRecord', { StreamName: 'src', PartitionKey: 'p', Data: b64('three|') });
    for (let i = 0; i < 3; i++) await second.h.advance(1_000);
    await second.h.advance(60_000);
    expect(await bodies(second)).toBe('one|two|three|');
  });

  it('stops polling once the delivery stream is deleted', async () => {
    const w = track(await world());
    await w.kds('CreateStream', { StreamName: 'src', ShardCount: 1 });
    await w.h.call('CreateDeliveryStream', fromKinesis('short'));
    await w.h.call('DeleteDeliveryStream', { DeliveryStreamName: 'short' });
    await w.kds('PutRecord', { StreamName: 'src', PartitionKey: 'p', Data: b64('x') });
    await w.h.advance(1_000);
    await w.h.advance(60_000);
    expect(await bodies(w)).toBe('');
  });
});

// The logger import keeps pino in this file's graph for clarity of what the harness uses.
void pino;

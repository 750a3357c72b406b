/**
 * startIngestTarget's composition: what each service is opened with (data layout, options), that both are
 * reachable on one port, the order of shutdown, cleanup after a failed start, and the data-dir lock.
 * Stand-in service factories record their options; the last tests run the real services.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, PutRecordCommand as FirehosePutRecordCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { FirehoseServiceOptions } from '../../src/ingest/firehose/service.js';
import type { StreamsServiceOptions } from '../../src/ingest/streams/service.js';
import { startIngestTarget, type IngestServiceFactories, type IngestTarget, type IngestTargetOptions } from '../../src/ingest/target.js';
import { http1Request, jsonRequest, startTestTarget } from '../helpers/target.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-target-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Recorder {
  events: string[];
  streams?: StreamsServiceOptions;
  firehose?: FirehoseServiceOptions;
}

function standIns(recorder: Recorder, options: { failFirehose?: boolean } = {}): IngestServiceFactories {
  return {
    openStreamsService: async (o) => {
      recorder.streams = o;
      recorder.events.push('streams opened');
      return {
        targetPrefix: 'Kinesis_20131202',
        signingName: 'kinesis',
        operations: { ListStreams: (_input, ctx) => ({ StreamNames: [`region:${ctx.region}`, `account:${ctx.accountId}`], HasMoreStreams: false }) },
        close: async () => void recorder.events.push('streams closed'),
      };
    },
    openFirehoseService: async (o) => {
      recorder.firehose = o;
      if (options.failFirehose) throw new Error('firehose journal is unreadable');
      recorder.events.push('firehose opened');
      return {
        targetPrefix: 'Firehose_20150804',
        signingName: 'firehose',
        operations: { ListDeliveryStreams: () => ({ DeliveryStreamNames: ['stand-in'], HasMoreDeliveryStreams: false }) },
        close: async () => void recorder.events.push('firehose closed'),
        whenIdle: async () => {},
      };
    },
  };
}

const quiet = pino({ level: 'silent' });

async function startWith(recorder: Recorder, options: IngestTargetOptions, factoryOptions: { failFirehose?: boolean } = {}): Promise<IngestTarget> {
  const target = await startIngestTarget({ port: 0, logger: quiet, ...options }, standIns(recorder, factoryOptions));
  cleanups.push(() => target.close());
  return target;
}

describe('composition', () => {
  it('lays out the data directory as DIR/streams, DIR/firehose and DIR/s3 and passes every option on', async () => {
    const dir = tempDir();
    const recorder: Recorder = { events: [] };
    const clock = { now: () => 1 };
    const rng = { next: () => 0.5 };
    const lambdas = { 'arn:aws:lambda:us-east-1:000000000000:function:f': '/x/f.mjs' };
    const target = await startWith(recorder, { dataDir: dir, faultRate: 0.25, limits: false, firehoseIntervalSeconds: 2, lambdas, clock, rng, region: 'eu-west-3', accountId: '123456789012' });
    expect(target.dataDir).toBe(dir);
    expect(target.s3Dir).toBe(join(dir, 's3'));
    expect(existsSync(target.s3Dir)).toBe(true);
    expect(recorder.streams).toEqual({ dataDir: join(dir, 'streams'), clock, rng, limits: false, faultRate: 0.25, accountId: '123456789012', region: 'eu-west-3' });
    // The Firehose store appends firehose/ to the directory it is given.
    expect(recorder.firehose).toMatchObject({ dataDir: dir, s3Dir: join(dir, 's3'), clock, rng, faultRate: 0.25, accountId: '123456789012', region: 'eu-west-3', intervalOverrideSeconds: 2, lambdas });
    expect(recorder.firehose!.streams.targetPrefix).toBe('Kinesis_20131202');
  });

  it('defaults: limits on, no faults, us-east-1, account 000000000000, and a temp S3 dir in memory mode, removed on close', async () => {
    const recorder: Recorder = { events: [] };
    const target = await startWith(recorder, { memory: true });
    expect(target.dataDir).toBeUndefined();
    expect(target.s3Dir.startsWith(tmpdir())).toBe(true);
    expect(existsSync(target.s3Dir)).toBe(true);
    expect(recorder.streams).toMatchObject({ limits: true, faultRate: 0, region: 'us-east-1', accountId: '000000000000' });
    expect(recorder.streams!.dataDir).toBeUndefined();
    expect(recorder.firehose!.dataDir).toBeUndefined();
    expect(recorder.firehose!.lambdas).toEqual({});
    writeFileSync(join(target.s3Dir, 'object'), 'delivered');
    await target.close();
    expect(existsSync(target.s3Dir)).toBe(false);
  });

  it('serves both services on its port and tells operations the account and the caller region', async () => {
    const target = await startWith({ events: [] }, { memory: true, accountId: '123456789012' });
    expect(target.url).toBe(`http://127.0.0.1:${target.port}`);
    const streams = await http1Request(target.url, jsonRequest('Kinesis_20131202.ListStreams'));
    expect(JSON.parse(streams.body.toString()).StreamNames).toEqual(['region:us-east-1', 'account:123456789012']);
    const firehose = await http1Request(target.url, jsonRequest('Firehose_20150804.ListDeliveryStreams'));
    expect(JSON.parse(firehose.body.toString()).DeliveryStreamNames).toEqual(['stand-in']);
  });

  it('closes the server first, then Firehose (which reads the streams), then the streams; once', async () => {
    const recorder: Recorder = { events: [] };
    const target = await startWith(recorder, { memory: true });
    await Promise.all([target.close(), target.close()]);
    await target.close();
    expect(recorder.events).toEqual(['streams opened', 'firehose opened', 'firehose closed', 'streams closed']);
    await expect(http1Request(target.url, jsonRequest('Kinesis_20131202.ListStreams'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('closes what it opened and releases the data dir when a service fails to open', async () => {
    const dir = tempDir();
    const recorder: Recorder = { events: [] };
    await expect(startWith(recorder, { dataDir: dir }, { failFirehose: true })).rejects.toThrow('firehose journal is unreadable');
    expect(recorder.events).toEqual(['streams opened', 'streams closed']);
    const again = await startWith({ events: [] }, { dataDir: dir });
    expect(again.dataDir).toBe(dir);
  });

  it('closes its services when the port is taken, and the error says so', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const recorder: Recorder = { events: [] };
    await expect(startWith(recorder, { memory: true, port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(recorder.events).toEqual(['streams opened', 'firehose opened', 'firehose closed', 'streams closed']);
  });

  it('rejects options it cannot honour with a coded error that says what to pass', async () => {
    const cases: [IngestTargetOptions, string][] = [
      [{ port: 70000 }, 'INGEST_BAD_PORT'],
      [{ port: 1.5 }, 'INGEST_BAD_PORT'],
      [{ faultRate: 1.5 }, 'INGEST_BAD_FAULT_RATE'],
      [{ faultRate: Number.NaN }, 'INGEST_BAD_FAULT_RATE'],
      [{ firehoseIntervalSeconds: 0 }, 'INGEST_BAD_FIREHOSE_INTERVAL'],
      [{ auth: [{ accessKeyId: '', secretAccessKey: 'x' }] }, 'INGEST_BAD_AUTH'],
      [{ accountId: '42' }, 'INGEST_BAD_ACCOUNT_ID'],
    ];
    for (const [options, code] of cases) {
      await expect(startIngestTarget({ memory: true, logger: quiet, ...options }, standIns({ events: [] })), code).rejects.toMatchObject({ code });
    }
  });
});

describe('the data directory lock', () => {
  it('refuses a second target on a data directory in use, naming the holder', async () => {
    const dir = tempDir();
    await startWith({ events: [] }, { dataDir: dir });
    const second = startIngestTarget({ port: 0, dataDir: dir, logger: quiet }, standIns({ events: [] }));
    await expect(second).rejects.toMatchObject({ code: 'INGEST_DATA_DIR_IN_USE', message: expect.stringContaining(`pid ${process.pid}`) });
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'kedge-ingest.lock'), '2147483646\n');
    const target = await startWith({ events: [] }, { dataDir: dir });
    expect(target.dataDir).toBe(dir);
    await target.close();
    expect(readdirSync(dir)).not.toContain('kedge-ingest.lock');
  });
});

describe('with the real services', () => {
  it('keeps streams across a restart on the same data directory', async () => {
    const dir = tempDir();
    const first = await startTestTarget({ dataDir: dir });
    await first.kinesis.send(new CreateStreamCommand({ StreamName: 'survivor', ShardCount: 1 }));
    await first.close();
    expect(readdirSync(join(dir, 'streams')).length).toBeGreaterThan(0);
    const second = await startTestTarget({ dataDir: dir });
    cleanups.push(() => second.close());
    expect((await second.kinesis.send(new ListStreamsCommand({}))).StreamNames).toEqual(['survivor']);
  });

  it('delivers Firehose records as objects under DIR/s3/<bucket>/', async () => {
    const dir = tempDir();
    const t = await startTestTarget({ dataDir: dir, firehoseIntervalSeconds: 1 });
    cleanups.push(() => t.close());
    await t.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'to-s3',
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::layout-bucket', RoleARN: 'arn:aws:iam::000000000000:role/r' },
      }),
    );
    await t.firehose.send(new FirehosePutRecordCommand({ DeliveryStreamName: 'to-s3', Record: { Data: Buffer.from('hello\n') } }));
    const bucket = join(dir, 's3', 'layout-bucket');
    // Delivery happens on the Firehose service's own timer: wait until an object appears (the test timeout bounds this).
    while (!existsSync(bucket) || readdirSync(bucket, { recursive: true }).filter((f) => String(f).includes('to-s3')).length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});

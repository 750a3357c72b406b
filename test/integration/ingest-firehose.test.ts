/**
 * The Firehose service of the local ingest target driven by the unmodified @aws-sdk/client-firehose (and
 * @aws-sdk/client-kinesis for the Kinesis source) over real HTTP on 127.0.0.1. Delivery runs on the target's
 * real coarse timer, so tests wait (bounded) for objects to appear; they assert on content, never on timing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  InvalidArgumentException,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type CreateDeliveryStreamCommandInput,
} from '@aws-sdk/client-firehose';
import { CreateStreamCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { awsKinesisAgg } from '../helpers/aws-kinesis-agg.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { seededRng } from '../helpers/seeded-rng.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';

const ROLE = 'arn:aws:iam::000000000000:role/firehose';

let t: TestTarget | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  if (receiver) await new Promise((resolve) => receiver!.close(resolve));
  receiver = undefined;
});

/** Waits until `check` returns a value (bounded; the bound only keeps a broken build from hanging). */
async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function objects(s3Dir: string, bucket: string): Promise<Array<{ key: string; body: string }>> {
  const root = join(s3Dir, bucket);
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile());
  return Promise.all(files.map(async (f) => ({ key: join(f.parentPath, f.name).slice(root.length + 1), body: await readFile(join(f.parentPath, f.name), 'utf8') })));
}

const s3Config = (name: string, extra: Partial<CreateDeliveryStreamCommandInput> = {}): CreateDeliveryStreamCommandInput => ({
  DeliveryStreamName: name,
  ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::it-bucket', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } },
  ...extra,
});

describe('Firehose API through @aws-sdk/client-firehose', () => {
  it('creates, describes, lists, accepts records and delivers them to <s3Dir>/<bucket>/ after the interval', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 21, 30, 5));
    t = await startTestTarget({ memory: true, clock });
    const { firehose } = t;
    const created = await firehose.send(new CreateDeliveryStreamCommand(s3Config('it-events')));
    expect(created.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/it-events');
    const { DeliveryStreamDescription: d } = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'it-events' }));
    expect(d?.DeliveryStreamStatus).toBe('ACTIVE');
    expect(d?.CreateTimestamp).toEqual(new Date(clock.now()));
    expect(d?.Destinations?.[0]?.ExtendedS3DestinationDescription?.BufferingHints).toEqual({ SizeInMBs: 1, IntervalInSeconds: 60 });
    expect(await firehose.send(new ListDeliveryStreamsCommand({}))).toMatchObject({ DeliveryStreamNames: ['it-events'], HasMoreDeliveryStreams: false });

    const single = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'it-events', Record: { Data: Buffer.from('first\n') } }));
    expect(single).toMatchObject({ RecordId: expect.any(String), Encrypted: false });
    const batch = await firehose.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'it-events', Records: ['second\n', 'third\n'].map((s) => ({ Data: Buffer.from(s) })) }),
    );
    expect(batch.FailedPutCount).toBe(0);
    expect(batch.RequestResponses?.every((r) => typeof r.RecordId === 'string')).toBe(true);

    clock.advance(60_000);
    const [object] = await waitFor(async () => {
      const found = await objects(t!.s3Dir, 'it-bucket');
      return found.length > 0 ? found : undefined;
    }, 'the delivered object');
    expect(object!.key).toMatch(/^2026\/11\/25\/21\/it-events-1-2026-11-25-21-30-05-[0-9a-f-]{36}$/);
    expect(object!.body).toBe('first\nsecond\nthird\n');
  });

  it("surfaces AWS's errors as the SDK's exception classes", async () => {
    t = await startTestTarget({ memory: true });
    const { firehose } = t;
    await firehose.send(new CreateDeliveryStreamCommand(s3Config('it-errors')));

    const missing = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: Buffer.from('x') } })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as Error).message).toBe('Firehose nope under account 000000000000 not found.');

    const dup = await firehose.send(new CreateDeliveryStreamCommand(s3Config('it-errors'))).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ResourceInUseException);

    const heavy = Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(900_000) }));
    const tooBig = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'it-errors', Records: heavy })).catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(InvalidArgumentException);
    expect((tooBig as Error).message).toBe('Records size exceeds 4 MB limit');

    const many = Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') }));
    const tooMany = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'it-errors', Records: many })).catch((e: unknown) => e);
    expect((tooMany as Error).name).toBe('ValidationException');

    const oversized = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'it-errors', Record: { Data: Buffer.alloc(1_024_001) } })).catch((e: unknown) => e);
    expect((oversized as Error).name).toBe('ValidationException');

    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'it-errors' }));
    const gone = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'it-errors' })).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
  });

  it('fails single records of a batch with ServiceUnavailableException at the configured fault rate', async () => {
    t = await startTestTarget({ memory: true, faultRate: 0.3, rng: seededRng(5) });
    await t.firehose.send(new CreateDeliveryStreamCommand(s3Config('it-faults')));
    const out = await t.firehose.send(
      new PutRecordBatchCommand({ DeliveryStreamName: 'it-faults', Records: Array.from({ length: 200 }, (_, i) => ({ Data: Buffer.from(`r${i}`) })) }),
    );
    const failed = out.RequestResponses!.filter((r) => r.ErrorCode);
    expect(out.FailedPutCount).toBe(failed.length);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(200);
    expect(new Set(failed.map((f) => `${f.ErrorCode}: ${f.ErrorMessage}`))).toEqual(new Set(['ServiceUnavailableException: Slow down.']));
  });
});

describe('Kinesis Data Stream as source through the SDK clients', () => {
  it('delivers records written with the default (HTTP/2) Kinesis client, KPL aggregates de-aggregated', async () => {
    t = await startTestTarget({ memory: true, firehoseIntervalSeconds: 1 });
    const { kinesis, firehose } = t;
    await kinesis.send(new CreateStreamCommand({ StreamName: 'it-src', ShardCount: 2 }));
    await firehose.send(
      new CreateDeliveryStreamCommand({
        ...s3Config('it-from-kds'),
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/it-src', RoleARN: ROLE },
      }),
    );
    const refused = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'it-from-kds', Record: { Data: Buffer.from('x') } })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidArgumentException);

    // An aggregate made by aws-kinesis-agg (an independent implementation of the KPL format) plus plain records.
    const users = Array.from({ length: 20 }, (_, i) => ({ data: Buffer.from(`agg${i}|`), partitionKey: `user-${i}` }));
    const aggregates: Array<{ Data: Buffer; PartitionKey: string; ExplicitHashKey?: string }> = [];
    await new Promise<void>((resolve, reject) =>
      awsKinesisAgg.aggregate(
        users,
        (encoded, done) => {
          aggregates.push({ Data: encoded.data, PartitionKey: encoded.partitionKey, ...(encoded.ExplicitHashKey ? { ExplicitHashKey: encoded.ExplicitHashKey } : {}) });
          done();
        },
        resolve,
        reject,
      ),
    );
    const plain = Array.from({ length: 5 }, (_, i) => ({ Data: Buffer.from(`plain${i}|`), PartitionKey: `plain-${i}` }));
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'it-src', Records: [...aggregates, ...plain] }));
    expect(put.FailedRecordCount).toBe(0);

    const expected = [...users.map((u) => u.data.toString()), ...plain.map((p) => p.Data.toString())].map((s) => s.slice(0, -1)).sort();
    const delivered = await waitFor(async () => {
      const parts = (await objects(t!.s3Dir, 'it-bucket')).flatMap((o) => o.body.split('|').filter(Boolean));
      return parts.length >= expected.length ? parts : undefined;
    }, 'the Kinesis records in S3');
    expect(delivered.sort()).toEqual(expected);
  });
});

describe('HTTP endpoint destination through the SDK', () => {
  it('POSTs the buffered records to the configured endpoint with the access key and a matching request id', async () => {
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: any }> = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        received.push({ headers: req.headers, body });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ requestId: body.requestId, timestamp: Date.now() }));
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/firehose`;
    t = await startTestTarget({ memory: true, firehoseIntervalSeconds: 1 });
    await t.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'it-http',
        HttpEndpointDestinationConfiguration: {
          EndpointConfiguration: { Url: url, Name: 'local', AccessKey: 'k-123' },
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
          S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::it-backup' },
        },
      }),
    );
    const described = await t.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'it-http' }));
    const http = described.DeliveryStreamDescription?.Destinations?.[0]?.HttpEndpointDestinationDescription;
    expect(http?.EndpointConfiguration).toEqual({ Url: url, Name: 'local' });
    expect(http?.RetryOptions).toEqual({ DurationInSeconds: 300 });

    await t.firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'it-http', Records: [{ Data: Buffer.from('hello') }, { Data: Buffer.from('hello world') }] }));
    const [request] = await waitFor(async () => (received.length > 0 ? received : undefined), 'the HTTP delivery');
    expect(request!.headers['x-amz-firehose-access-key']).toBe('k-123');
    expect(request!.headers['x-amz-firehose-request-id']).toBe(request!.body.requestId);
    expect(request!.body.records).toEqual([{ data: 'aGVsbG8=' }, { data: 'aGVsbG8gd29ybGQ=' }]);
  });
});

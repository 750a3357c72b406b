import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT, b64, listObjects, openHarness, ROLE, type Harness } from './harness.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Reply = (req: Received) => { status: number; body: string };

/** A real HTTP receiver on 127.0.0.1 that answers each request with the next reply (the last one repeats). */
async function receiver(...replies: Reply[]): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      const reply = replies[Math.min(received.length - 1, replies.length - 1)]!(r);
      res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/ingest`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const requestJson = (r: Received): { requestId: string; timestamp: number; records: Array<{ data: string }> } =>
  JSON.parse((r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString());
const success: Reply = (r) => ({ status: 200, body: JSON.stringify({ requestId: requestJson(r).requestId, timestamp: Date.now() }) });
const status = (code: number): Reply => () => ({ status: code, body: JSON.stringify({ errorMessage: `status ${code}` }) });

function httpStream(name: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    DeliveryStreamName: name,
    HttpEndpointDestinationConfiguration: {
      EndpointConfiguration: { Url: url, Name: 'receiver', AccessKey: 'my-secret-key' },
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
      S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::backup' },
      ...extra,
    },
  };
}

let h: Harness;
let server: Awaited<ReturnType<typeof receiver>> | undefined;
afterEach(async () => {
  await h?.close();
  await server?.close();
  server = undefined;
});

describe('HTTP endpoint delivery', () => {
  it('POSTs the records with the headers and body of the Firehose HTTP endpoint spec', async () => {
    server = await receiver(success);
    h = await openHarness();
    await h.call(
      'CreateDeliveryStream',
      httpStream('web', server.url, { RequestConfiguration: { ContentEncoding: 'NONE', CommonAttributes: [{ AttributeName: 'device', AttributeValue: 'pi-7' }] } }),
    );
    await h.call('PutRecordBatch', { DeliveryStreamName: 'web', Records: [{ Data: b64('hello') }, { Data: b64('hello world') }] });
    await h.advance(60_000);
    expect(server.received).toHaveLength(1);
    const [req] = server.received;
    expect(req!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-amz-firehose-protocol-version': '1.0',
      'x-amz-firehose-source-arn': `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/web`,
      'x-amz-firehose-access-key': 'my-secret-key',
      'x-amz-firehose-common-attributes': '{"commonAttributes":{"device":"pi-7"}}',
      'content-length': String(req!.body.length),
    });
    expect(req!.headers['content-encoding']).toBeUndefined();
    const body = requestJson(req!);
    expect(req!.headers['x-amz-firehose-request-id']).toBe(body.requestId);
    expect(body.timestamp).toBe(h.clock.now());
    expect(body.records).toEqual([{ data: 'aGVsbG8=' }, { data: 'aGVsbG8gd29ybGQ=' }]);
    expect(await listObjects(h.s3Dir, 'backup')).toEqual([]);
  });

  it('gzips the body and says so in Content-Encoding when ContentEncoding is GZIP', async () => {
    server = await receiver(success);
    h = await openHarness();
    await h.call('CreateDeliveryStream', httpStream('gz', server.url, { RequestConfiguration: { ContentEncoding: 'GZIP' } }));
    await h.call('PutRecord', { DeliveryStreamName: 'gz', Record: { Data: b64('zipped') } });
    await h.advance(60_000);
    expect(server.received[0]!.headers['content-encoding']).toBe('gzip');
    expect(requestJson(server.received[0]!).records).toEqual([{ data: b64('zipped') }]);
  });

  it('retries a 500 with backoff under the injected sleep, reusing the request id', async () => {
    server = await receiver(status(500), status(503), success);
    h = await openHarness();
    await h.call('CreateDeliveryStream', httpStream('retry', server.url));
    await h.call('PutRecord', { DeliveryStreamName: 'retry', Record: { Data: b64('again') } });
    await h.advance(60_000);
    expect(server.received).toHaveLength(3);
    const ids = server.received.map((r) => r.headers['x-amz-firehose-request-id']);
    expect(new Set(ids).size).toBe(1);
    // 1 s then 2 s, each within +-15 % jitter.
    expect(h.sleeps).toHaveLength(2);
    expect(h.sleeps[0]).toBeGreaterThanOrEqual(850);
    expect(h.sleeps[0]).toBeLessThanOrEqual(1150);
    expect(h.sleeps[1]).toBeGreaterThanOrEqual(1700);
    expect(h.sleeps[1]).toBeLessThanOrEqual(2300);
    expect(await listObjects(h.s3Dir, 'backup')).toEqual([]);
  });

  it('treats 413 as permanent: no retry, records go to http-endpoint-failed/', async () => {
    server = await receiver(status(413));
    h = await openHarness();
    await h.call('CreateDeliveryStream', httpStream('toolarge', server.url));
    await h.call('PutRecord', { DeliveryStreamName: 'toolarge', Record: { Data: b64('big') } });
    await h.advance(60_000);
    expect(server.received).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
    const [object] = await listObjects(h.s3Dir, 'backup');
    expect(object!.key).toMatch(/^http-endpoint-failed\/2026\/11\/25\/21\/toolarge-1-2026-11-25-21-30-05-/);
    const error = JSON.parse(object!.body.toString());
    expect(error).toMatchObject({ attemptsMade: 1, errorCode: 'HttpEndpoint.DestinationException', rawData: b64('big'), arrivalTimestamp: Date.UTC(2026, 10, 25, 21, 30, 5, 123) });
    expect(error.errorMessage).toContain('413');
  });

  it('gives up after RetryOptions.DurationInSeconds and writes AWS error records to the S3 error prefix', async () => {
    server = await receiver(status(500));
    h = await openHarness();
    await h.call('CreateDeliveryStream', httpStream('down', server.url, { RetryOptions: { DurationInSeconds: 60 } }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'down', Records: [{ Data: b64('a') }, { Data: b64('b') }] });
    await h.advance(60_000);
    // Retried with delays of about 1, 2, 4, 8, 16, (32) s while they fit in 60 s, and not one more.
    const attempts = server.received.length;
    const slept = h.sleeps.reduce((a, b) => a + b, 0);
    expect(attempts).toBe(h.sleeps.length + 1);
    expect(attempts).toBeGreaterThanOrEqual(6);
    expect(slept).toBeLessThanOrEqual(60_000);
    expect(slept + 0.85 * 1000 * 2 ** (attempts - 1)).toBeGreaterThan(60_000);
    const objects = await listObjects(h.s3Dir, 'backup');
    expect(objects).toHaveLength(1);
    const lines = objects[0]!.body.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => Buffer.from(l.rawData, 'base64').toString())).toEqual(['a', 'b']);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData']);
      expect(l.attemptsMade).toBe(attempts);
      expect(l.attemptEndingTimestamp).toBe(h.clock.now());
    }
  });

  it('counts a 200 that does not echo the request id as a failure', async () => {
    server = await receiver(() => ({ status: 200, body: '{"requestId":"someone-else"}' }), success);
    h = await openHarness();
    await h.call('CreateDeliveryStream', httpStream('echo', server.url));
    await h.call('PutRecord', { DeliveryStreamName: 'echo', Record: { Data: b64('x') } });
    await h.advance(60_000);
    expect(server.received).toHaveLength(2);
    expect(await listObjects(h.s3Dir, 'backup')).toEqual([]);
  });

  it('records a refused connection as HttpEndpoint.ConnectionFailed after the retry duration', async () => {
    const closed = await receiver(success);
    await closed.close();
    h = await openHarness();
    await h.call('CreateDeliveryStream', httpStream('nobody', closed.url, { RetryOptions: { DurationInSeconds: 0 } }));
    await h.call('PutRecord', { DeliveryStreamName: 'nobody', Record: { Data: b64('x') } });
    await h.advance(60_000);
    const [object] = await listObjects(h.s3Dir, 'backup');
    expect(JSON.parse(object!.body.toString())).toMatchObject({ attemptsMade: 1, errorCode: 'HttpEndpoint.ConnectionFailed' });
  });

  it('backs up every record to the S3 prefix with S3BackupMode AllData', async () => {
    server = await receiver(success);
    h = await openHarness();
    await h.call('CreateDeliveryStream', httpStream('all', server.url, { S3BackupMode: 'AllData' }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'all', Records: [{ Data: b64('1\n') }, { Data: b64('2\n') }] });
    await h.advance(60_000);
    expect(server.received).toHaveLength(1);
    const [object] = await listObjects(h.s3Dir, 'backup');
    expect(object!.key).toMatch(/^2026\/11\/25\/21\/all-1-/);
    expect(object!.body.toString()).toBe('1\n2\n');
  });

  it('stops retrying when the service closes, keeping the records undelivered', async () => {
    server = await receiver(status(500));
    h = await openHarness();
    await h.call('CreateDeliveryStream', httpStream('closing', server.url));
    await h.call('PutRecord', { DeliveryStreamName: 'closing', Record: { Data: b64('x') } });
    h.clock.advance(60_000);
    h.scheduler.fire();
    await h.service.close();
    expect(await listObjects(h.s3Dir, 'backup')).toEqual([]);
  });
});

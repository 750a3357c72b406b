/**
 * The ingest target's transport with stand-in services: one port answering the real SDK clients over
 * HTTP/2 (h2c, the Kinesis client's default) and HTTP/1.1, awsJson1_1 dispatch and AWS's response headers
 * and error shapes, body caps, and the path-route seam (including streamed responses).
 */
import { FirehoseClient, ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { DescribeLimitsCommand, KinesisClient, ListStreamsCommand, ResourceNotFoundException, DescribeStreamCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/ingest/auth/authenticator.js';
import { createIngestServer, type IngestServer } from '../../src/ingest/server/ingest-server.js';
import { resourceNotFound } from '../../src/ingest/server/service-error.js';
import type { IngestRequest, JsonService, OperationContext, PathService } from '../../src/ingest/server/types.js';
import { http1Request, http2Request, jsonRequest, type RawRequest, type RawResponse } from '../helpers/target.js';

const FIXED_NOW = Date.parse('2026-11-25T12:34:56Z');

const kinesis: JsonService = {
  targetPrefix: 'Kinesis_20131202',
  signingName: 'kinesis',
  operations: {
    ListStreams: () => ({ StreamNames: ['alpha', 'beta'], HasMoreStreams: false }),
    DescribeStream: (input: { StreamName: string }) => {
      throw resourceNotFound(`Stream ${input.StreamName} under account 000000000000 not found.`);
    },
    Crash: () => {
      throw new Error('bug in an operation');
    },
    Measure: (input: { Data: string }) => ({ Bytes: input.Data.length }),
  },
};

const firehose: JsonService = {
  targetPrefix: 'Firehose_20150804',
  signingName: 'firehose',
  operations: { ListDeliveryStreams: () => ({ DeliveryStreamNames: ['ds'], HasMoreDeliveryStreams: false }) },
};

async function* countTo(n: number): AsyncIterable<Uint8Array> {
  for (let i = 1; i <= n; i++) yield Buffer.from(`${i}\n`);
}

const paths: PathService = {
  routes: [
    { method: 'POST', path: '/whoami', signingName: 'kinesisvideo', handle: (req: IngestRequest, ctx: OperationContext) => ({ status: 200, headers: {}, body: `${req.httpVersion} ${ctx.region} ${req.body.toString()}` }) },
    { method: 'GET', path: '/count', signingName: null, handle: () => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, stream: countTo(1000) }) },
    { method: 'POST', path: '/missing', signingName: 'kinesisvideo', handle: () => { throw resourceNotFound('no such video stream'); } },
  ],
};

const running: { server: IngestServer; clients: { destroy(): void }[] }[] = [];

async function start(options: { maxBodyBytes?: number } = {}): Promise<string> {
  const server = createIngestServer({
    authenticator: createAuthenticator({ clock: { now: () => FIXED_NOW }, defaultRegion: 'us-east-1' }),
    clock: { now: () => FIXED_NOW },
    accountId: '000000000000',
    defaultRegion: 'us-east-1',
    logger: pino({ level: 'silent' }),
    ...options,
  });
  server.registerJsonService(kinesis);
  server.registerJsonService(firehose);
  server.registerPathService(paths);
  const address = await server.listen(0, '127.0.0.1');
  running.push({ server, clients: [] });
  return `http://127.0.0.1:${address.port}`;
}

function clients(url: string) {
  const common = { endpoint: url, region: 'eu-central-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 };
  const made = {
    h2: new KinesisClient(common),
    h1: new KinesisClient({ ...common, requestHandler: new NodeHttpHandler() }),
    firehose: new FirehoseClient(common),
  };
  running.at(-1)!.clients.push(made.h2, made.h1, made.firehose);
  return made;
}

afterEach(async () => {
  for (const { server, clients: made } of running.splice(0)) {
    for (const c of made) c.destroy();
    await server.close();
  }
});

const both: [string, (url: string, r: RawRequest) => Promise<RawResponse>][] = [
  ['HTTP/1.1', http1Request],
  ['HTTP/2', http2Request],
];
const json = (r: RawResponse) => JSON.parse(r.body.toString());

describe('one port, two HTTP versions', () => {
  it('answers the default Kinesis client (HTTP/2) and one forced to HTTP/1.1 on the same port, alternately', async () => {
    const url = await start();
    const { h1, h2 } = clients(url);
    for (let i = 0; i < 3; i++) {
      expect((await h2.send(new ListStreamsCommand({}))).StreamNames).toEqual(['alpha', 'beta']);
      expect((await h1.send(new ListStreamsCommand({}))).StreamNames).toEqual(['alpha', 'beta']);
    }
  });

  it('answers the Firehose client', async () => {
    const url = await start();
    expect((await clients(url).firehose.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames).toEqual(['ds']);
  });

  for (const [name, send] of both) {
    it(`${name}: routes by path and reports the protocol and the credential scope's region to the route`, async () => {
      const url = await start();
      const auth = 'AWS4-HMAC-SHA256 Credential=AKID/20261125/sa-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=00';
      const res = await send(url, { path: '/whoami', headers: { authorization: auth, 'x-amz-date': '20261125T123456Z' }, body: 'hi' });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe(`${name === 'HTTP/2' ? '2' : '1.1'} sa-east-1 hi`);
    });
  }
});

describe('AWS response conventions', () => {
  for (const [name, send] of both) {
    it(`${name}: sends x-amzn-RequestId, x-amz-id-2, the awsJson content type and a Date from the injected clock`, async () => {
      const url = await start();
      const res = await send(url, jsonRequest('Kinesis_20131202.ListStreams'));
      expect(res.status).toBe(200);
      expect(res.headers['x-amzn-requestid']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(Buffer.from(res.headers['x-amz-id-2']!, 'base64').length).toBe(72);
      expect(res.headers['content-type']).toBe('application/x-amz-json-1.1');
      expect(res.headers['date']).toBe('Wed, 25 Nov 2026 12:34:56 GMT');
      expect(res.headers['content-length']).toBe(String(res.body.length));
      expect(json(res)).toEqual({ StreamNames: ['alpha', 'beta'], HasMoreStreams: false });
    });

    it(`${name}: rejects malformed JSON with 400 SerializationException`, async () => {
      const url = await start();
      const res = await send(url, jsonRequest('Kinesis_20131202.ListStreams', '{"Limit": 1'));
      expect(res.status).toBe(400);
      expect(json(res).__type).toBe('SerializationException');
    });

    it(`${name}: rejects an unknown X-Amz-Target with 400 UnknownOperationException`, async () => {
      const url = await start();
      const res = await send(url, jsonRequest('Kinesis_20131202.StealStream'));
      expect(res.status).toBe(400);
      expect(json(res).__type).toBe('UnknownOperationException');
    });

    it(`${name}: answers GET / with AWS's 403 XML and serves GET /healthcheck`, async () => {
      const url = await start();
      const res = await send(url, { method: 'GET', path: '/' });
      expect(res.status).toBe(403);
      expect(res.body.toString()).toContain('<MissingAuthenticationTokenException>');
      const health = await send(url, { method: 'GET', path: '/healthcheck' });
      expect(health.status).toBe(200);
      expect(json(health)).toEqual({ status: 'ok' });
    });

    it(`${name}: streams a path route's response chunk by chunk`, async () => {
      const url = await start();
      const res = await send(url, { method: 'GET', path: '/count' });
      expect(res.status).toBe(200);
      const lines = res.body.toString().trimEnd().split('\n');
      expect(lines.length).toBe(1000);
      expect(lines.at(-1)).toBe('1000');
    });

    it(`${name}: answers a path route's ServiceError in restJson1 form (x-amzn-ErrorType header)`, async () => {
      const url = await start();
      const res = await send(url, { path: '/missing', body: '{}' });
      expect(res.status).toBe(400);
      expect(res.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
      expect(json(res)).toEqual({ message: 'no such video stream' });
    });
  }

  it("maps a ServiceError to the SDK's exception class with AWS's message", async () => {
    const url = await start();
    const { h2 } = clients(url);
    const err = await h2.send(new DescribeStreamCommand({ StreamName: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect((err as Error).message).toBe('Stream nope under account 000000000000 not found.');
  });

  it('reports an operation the target lacks as UnknownOperationException to the SDK', async () => {
    const url = await start();
    const err = await clients(url).h2.send(new DescribeLimitsCommand({})).catch((e: unknown) => e);
    expect((err as Error).name).toBe('UnknownOperationException');
  });

  it('answers 500 InternalFailure when an operation throws, and keeps serving', async () => {
    const url = await start();
    for (const [, send] of both) {
      const res = await send(url, jsonRequest('Kinesis_20131202.Crash'));
      expect(res.status).toBe(500);
      expect(json(res).__type).toBe('InternalFailure');
    }
    expect((await clients(url).h2.send(new ListStreamsCommand({}))).StreamNames).toHaveLength(2);
  });
});

describe('request bodies', () => {
  const payload = (bytes: number) => JSON.stringify({ Data: 'x'.repeat(bytes) });

  for (const [name, send] of both) {
    it(`${name}: accepts a 14 MiB body (a full PutRecords is about 13.4 MiB of JSON)`, async () => {
      const url = await start();
      const res = await send(url, jsonRequest('Kinesis_20131202.Measure', payload(14 * 1024 * 1024)));
      expect(res.status).toBe(200);
      expect(json(res)).toEqual({ Bytes: 14 * 1024 * 1024 });
    });

    it(`${name}: refuses a body over the cap with 413 and still answers the next request`, async () => {
      const url = await start({ maxBodyBytes: 64 * 1024 });
      const res = await send(url, jsonRequest('Kinesis_20131202.Measure', payload(200 * 1024)));
      expect(res.status).toBe(413);
      expect(json(res).__type).toBe('RequestEntityTooLargeException');
      expect((await send(url, jsonRequest('Kinesis_20131202.Measure', payload(1000)))).status).toBe(200);
    });
  }
});

/**
 * SigV4 on the real ingest target with the real SDK clients: the default Kinesis client (HTTP/2, which
 * signs `:authority`), the Kinesis client over HTTP/1.1, and the Firehose client; right and wrong keys,
 * skewed clocks, presigned and raw requests. After every rejection the target still serves a good client.
 */
import { FirehoseClient, ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, KinesisClient, ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest as SignedRequest } from '@smithy/types';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http1Request, http2Request, jsonRequest, startTestTarget, type TestTarget } from '../helpers/target.js';
import { Sha256 } from '../unit/ingest/auth/sdk-signed.js';

const GOOD = { accessKeyId: 'AKIDKEDGEGOOD', secretAccessKey: 'good-secret' };
const SECOND = { accessKeyId: 'AKIDKEDGESECOND', secretAccessKey: 'second-secret' };
const TEN_MINUTES_MS = 10 * 60_000;

let t: TestTarget;
const made: { destroy(): void }[] = [];

beforeAll(async () => {
  t = await startTestTarget({ memory: true, auth: [GOOD, SECOND] });
  await t.kinesis.send(new CreateStreamCommand({ StreamName: 'auth-test', ShardCount: 1 }));
});

afterAll(async () => {
  for (const c of made) c.destroy();
  await t.close();
});

type ClientKind = 'kinesis (HTTP/2)' | 'kinesis (HTTP/1.1)' | 'firehose';
const KINDS: ClientKind[] = ['kinesis (HTTP/2)', 'kinesis (HTTP/1.1)', 'firehose'];

function client(kind: ClientKind, extra: Record<string, unknown> = {}) {
  const config = { endpoint: t.url, region: 'us-east-1', credentials: GOOD, ...extra };
  const c =
    kind === 'firehose'
      ? new FirehoseClient(config)
      : new KinesisClient(kind === 'kinesis (HTTP/1.1)' ? { ...config, requestHandler: new NodeHttpHandler() } : config);
  made.push(c);
  return c;
}

/** One cheap read call, whatever the client. */
function call(c: KinesisClient | FirehoseClient): Promise<{ $metadata: { attempts?: number } }> {
  return c instanceof FirehoseClient ? c.send(new ListDeliveryStreamsCommand({})) : c.send(new ListStreamsCommand({}));
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to be rejected');
}

async function expectStillServing(): Promise<void> {
  expect((await t.kinesis.send(new ListStreamsCommand({}))).StreamNames).toContain('auth-test');
  expect((await t.kinesisH1.send(new ListStreamsCommand({}))).StreamNames).toContain('auth-test');
}

describe('SigV4 with the real SDK clients', () => {
  for (const kind of KINDS) {
    it(`${kind}: accepts requests signed with either configured key`, async () => {
      await call(client(kind));
      await call(client(kind, { credentials: SECOND }));
    });

    it(`${kind}: rejects a wrong secret with InvalidSignatureException`, async () => {
      const err = await rejection(call(client(kind, { credentials: { ...GOOD, secretAccessKey: 'wrong' } })));
      expect(err.name).toBe('InvalidSignatureException');
      expect(err.message).toMatch(/^The request signature we calculated does not match the signature you provided\./);
      expect(err.$metadata?.httpStatusCode).toBe(400);
      await expectStillServing();
    });

    it(`${kind}: rejects an access key it was not given with UnrecognizedClientException`, async () => {
      const err = await rejection(call(client(kind, { credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'x' } })));
      expect(err.name).toBe('UnrecognizedClientException');
      expect(err.message).toBe('The security token included in the request is invalid.');
      await expectStillServing();
    });

    it(`${kind}: rejects a client whose clock is 10 minutes slow with AWS's exact 'Signature expired' text`, async () => {
      const err = await rejection(call(client(kind, { systemClockOffset: -TEN_MINUTES_MS, maxAttempts: 1 })));
      expect(err.name).toBe('InvalidSignatureException');
      expect(err.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
      await expectStillServing();
    });

    it(`${kind}: a client whose clock is 10 minutes slow recovers by itself: the SDK retries 'Signature expired' at the Date header's time`, async () => {
      const output = await call(client(kind, { systemClockOffset: -TEN_MINUTES_MS }));
      expect(output.$metadata.attempts).toBe(2);
    });

    it(`${kind}: rejects a client whose clock is 10 minutes fast with 'Signature not yet current'; its next call uses the Date header's time`, async () => {
      const skewed = client(kind, { systemClockOffset: TEN_MINUTES_MS });
      const err = await rejection(call(skewed));
      expect(err.name).toBe('InvalidSignatureException');
      expect(err.message).toMatch(/^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/);
      expect((await call(skewed)).$metadata.attempts).toBe(1);
      await expectStillServing();
    });
  }

  it('the default client also writes records when signing', async () => {
    const kinesis = client('kinesis (HTTP/2)') as KinesisClient;
    const out = await kinesis.send(new PutRecordCommand({ StreamName: 'auth-test', PartitionKey: 'k', Data: Buffer.from('signed') }));
    expect(out.ShardId).toBe('shardId-000000000000');
  });
});

describe('SigV4 with hand-made requests', () => {
  it('answers a request without a signature with MissingAuthenticationTokenException, over both HTTP versions', async () => {
    for (const send of [http1Request, http2Request]) {
      const res = await send(t.url, jsonRequest('Kinesis_20131202.ListStreams'));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body.toString())).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    }
    await expectStillServing();
  });

  it('answers an Authorization header that is not SigV4 with IncompleteSignatureException', async () => {
    const res = await http1Request(t.url, jsonRequest('Kinesis_20131202.ListStreams', '{}', { authorization: 'Bearer abc' }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString()).__type).toBe('IncompleteSignatureException');
    await expectStillServing();
  });

  const url = () => new URL(t.url);
  const signer = (credentials = GOOD) => new SignatureV4({ credentials, region: 'us-east-1', service: 'kinesis', sha256: Sha256 });
  const listStreams = () =>
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: url().hostname,
      port: Number(url().port),
      path: '/',
      headers: { host: url().host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams' },
      body: '{}',
    });
  const send = (signed: SignedRequest, body?: string) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(signed.query ?? {})) if (typeof v === 'string') query.append(k, v);
    const qs = query.toString();
    const { host: _host, ...headers } = signed.headers;
    return http1Request(t.url, { method: 'POST', path: `/${qs ? `?${qs}` : ''}`, headers, body: body ?? String(signed.body) });
  };

  it('accepts a presigned URL (X-Amz-Target hoisted into the query, as the SDK presigns it)', async () => {
    const presigned = await signer().presign(listStreams(), { expiresIn: 60 });
    expect(presigned.query?.['x-amz-target']).toBe('Kinesis_20131202.ListStreams');
    expect(presigned.headers['x-amz-target']).toBeUndefined();
    const res = await send(presigned);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString()).StreamNames).toContain('auth-test');
  });

  it('rejects a request whose body was changed after signing', async () => {
    const res = await send(await signer().sign(listStreams()), '{"Limit":1}');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString()).__type).toBe('InvalidSignatureException');
    await expectStillServing();
  });

  it('rejects a credential scoped to Firehose on the Kinesis API', async () => {
    const firehoseSigner = new SignatureV4({ credentials: GOOD, region: 'us-east-1', service: 'firehose', sha256: Sha256 });
    const res = await send(await firehoseSigner.sign(listStreams()));
    expect(JSON.parse(res.body.toString())).toEqual({
      __type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'kinesis'. ",
    });
  });
});

describe("the target's injected clock", () => {
  it("is the clock signatures are checked against, and the SDK adopts it from the Date header", async () => {
    const ahead = await startTestTarget({ memory: true, auth: [GOOD], clock: { now: () => Date.now() + 60 * 60_000 } });
    try {
      const kinesis = new KinesisClient({ endpoint: ahead.url, region: 'us-east-1', credentials: GOOD });
      made.push(kinesis);
      const first = await kinesis.send(new ListStreamsCommand({}));
      expect(first.$metadata.attempts).toBe(2); // rejected as expired, corrected from Date, re-signed
      const second = await kinesis.send(new ListStreamsCommand({}));
      expect(second.$metadata.attempts).toBe(1);
    } finally {
      await ahead.close();
    }
  });
});

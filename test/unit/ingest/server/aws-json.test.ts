import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../../src/ingest/auth/authenticator.js';
import { AwsJsonDispatcher } from '../../../../src/ingest/server/aws-json.js';
import { ServiceError, resourceNotFound } from '../../../../src/ingest/server/service-error.js';
import type { IngestRequest, JsonService, OperationContext } from '../../../../src/ingest/server/types.js';

const seen: { input: unknown; ctx: OperationContext }[] = [];
const echo: JsonService = {
  targetPrefix: 'Echo_20240101',
  signingName: 'echo',
  operations: {
    Echo: (input, ctx) => {
      seen.push({ input, ctx });
      return { Got: input };
    },
    Nothing: () => undefined,
    Missing: () => {
      throw resourceNotFound('Stream x under account 000000000000 not found.');
    },
    Throttled: () => {
      throw new ServiceError('ProvisionedThroughputExceededException', 'Rate exceeded for shard shardId-000000000000.', 400);
    },
    Broken: () => {
      throw new TypeError('cannot read properties of undefined');
    },
    Prebuilt: () => Buffer.from('{"Prebuilt":true}'),
  },
};

function dispatcher(credentials: { accessKeyId: string; secretAccessKey: string }[] = []): AwsJsonDispatcher {
  const d = new AwsJsonDispatcher({
    authenticator: createAuthenticator({ credentials, clock: { now: () => 0 }, defaultRegion: 'us-east-1' }),
    accountId: '123456789012',
    logger: pino({ level: 'silent' }),
  });
  d.register(echo);
  return d;
}

function request(overrides: Partial<IngestRequest> & { target?: string; contentType?: string | null; json?: string } = {}): IngestRequest {
  const headers: Record<string, string> = { host: 'localhost' };
  if (overrides.contentType !== null) headers['content-type'] = overrides.contentType ?? 'application/x-amz-json-1.1';
  if (overrides.target !== undefined) headers['x-amz-target'] = overrides.target;
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    httpVersion: '1.1',
    body: Buffer.from(overrides.json ?? '{}'),
    ...overrides,
    headers: { ...headers, ...overrides.headers },
  };
}

const parse = (body: Buffer | string) => JSON.parse(body.toString());

describe('awsJson1_1 dispatch', () => {
  it('calls the operation named by X-Amz-Target with the parsed body and the call context', async () => {
    seen.length = 0;
    const res = await dispatcher().handle(request({ target: 'Echo_20240101.Echo', json: '{"A":[1,"x"]}' }), 'req-1', 1_700_000_000_000);
    expect(res.status).toBe(200);
    expect(res.headers['Content-Type']).toBe('application/x-amz-json-1.1');
    expect(parse(res.body)).toEqual({ Got: { A: [1, 'x'] } });
    expect(seen[0]!.ctx).toEqual({ requestId: 'req-1', region: 'us-east-1', accountId: '123456789012', now: 1_700_000_000_000 });
  });

  it('answers {} for an operation that returns nothing, and sends pre-serialized JSON as is', async () => {
    expect(parse((await dispatcher().handle(request({ target: 'Echo_20240101.Nothing' }), 'r', 0)).body)).toEqual({});
    expect((await dispatcher().handle(request({ target: 'Echo_20240101.Prebuilt' }), 'r', 0)).body.toString()).toBe('{"Prebuilt":true}');
  });

  it("turns a ServiceError into AWS's {__type, message} with its status", async () => {
    const res = await dispatcher().handle(request({ target: 'Echo_20240101.Missing' }), 'r', 0);
    expect(res.status).toBe(400);
    expect(parse(res.body)).toEqual({ __type: 'ResourceNotFoundException', message: 'Stream x under account 000000000000 not found.' });
  });

  it('turns any other error into 500 InternalFailure naming the request id', async () => {
    const res = await dispatcher().handle(request({ target: 'Echo_20240101.Broken' }), 'req-77', 0);
    expect(res.status).toBe(500);
    expect(parse(res.body)).toMatchObject({ __type: 'InternalFailure', message: expect.stringContaining('req-77') });
  });

  it('rejects malformed JSON and non-object JSON with SerializationException', async () => {
    for (const json of ['{"a":', 'null', '[1]', '"text"', '42']) {
      const res = await dispatcher().handle(request({ target: 'Echo_20240101.Echo', json }), 'r', 0);
      expect(res.status, json).toBe(400);
      expect(parse(res.body).__type, json).toBe('SerializationException');
    }
  });

  it('rejects unknown services and operations, including inherited property names, with UnknownOperationException', async () => {
    for (const target of ['Echo_20240101.Nope', 'Other_1.Echo', 'Echo_20240101.constructor', 'Echo_20240101.__proto__', 'Echo_20240101.toString', 'NoDot']) {
      const res = await dispatcher().handle(request({ target }), 'r', 0);
      expect(res.status, target).toBe(400);
      expect(parse(res.body).__type, target).toBe('UnknownOperationException');
    }
  });

  it('answers an empty body with SerializationException for a known operation and UnknownOperationException otherwise', async () => {
    const known = await dispatcher().handle(request({ target: 'Echo_20240101.Echo', json: '' }), 'r', 0);
    expect(parse(known.body).__type).toBe('SerializationException');
    const unknown = await dispatcher().handle(request({ target: 'Echo_20240101.Nope', json: '' }), 'r', 0);
    expect(parse(unknown.body)).toEqual({ __type: 'UnknownOperationException' });
  });

  it('answers a method other than POST with 403 XML, naming the missing signature when there is none', async () => {
    const unsigned = await dispatcher().handle(request({ method: 'GET', target: 'Echo_20240101.Echo' }), 'r', 0);
    expect(unsigned).toMatchObject({ status: 403, headers: {} });
    expect(unsigned.body).toBe('<MissingAuthenticationTokenException>\n  <Message>Missing Authentication Token</Message>\n</MissingAuthenticationTokenException>\n');
    const signed = await dispatcher().handle(request({ method: 'PUT', headers: { authorization: 'AWS4-HMAC-SHA256 x' } }), 'r', 0);
    expect(signed.status).toBe(403);
    expect(signed.body).toContain('<AccessDeniedException>');
  });

  it('answers a content type it does not route like AWS: 404 with a target, 403 without', async () => {
    const withTarget = await dispatcher().handle(request({ target: 'Echo_20240101.Echo', contentType: 'application/x-amz-json-1.0' }), 'r', 0);
    expect(withTarget).toMatchObject({ status: 404, body: '<UnknownOperationException/>\n' });
    const without = await dispatcher().handle(request({ contentType: null }), 'r', 0);
    expect(without.status).toBe(403);
    expect(without.body).toContain('Unable to determine service/operation name to be authorized');
  });

  it('answers CBOR with a SerializationException that says how to switch the Java SDK to JSON', async () => {
    const res = await dispatcher().handle(request({ target: 'Echo_20240101.Echo', contentType: 'application/x-amz-cbor-1.1' }), 'r', 0);
    expect(res.status).toBe(400);
    expect(parse(res.body)).toMatchObject({ __type: 'SerializationException', message: expect.stringContaining('AWS_CBOR_DISABLE') });
  });

  it('checks the signature only after routing, so a wrong target is reported before missing credentials', async () => {
    const d = dispatcher([{ accessKeyId: 'AKID', secretAccessKey: 's' }]);
    expect(parse((await d.handle(request({ target: 'Echo_20240101.Nope' }), 'r', 0)).body).__type).toBe('UnknownOperationException');
    expect(parse((await d.handle(request({ target: 'Echo_20240101.Echo' }), 'r', 0)).body).__type).toBe('MissingAuthenticationTokenException');
  });

  it("takes the target from a presigned request's query when the header is absent", async () => {
    const res = await dispatcher().handle(request({ query: new URLSearchParams('x-amz-target=Echo_20240101.Nothing') }), 'r', 0);
    expect(res.status).toBe(200);
  });

  it('refuses to register two services with one target prefix', () => {
    expect(() => dispatcher().register(echo)).toThrow(/already registered/);
  });
});

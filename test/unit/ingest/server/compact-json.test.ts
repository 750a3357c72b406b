import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../../src/ingest/auth/authenticator.js';
import { AwsJsonDispatcher } from '../../../../src/ingest/server/aws-json.js';
import { parseCompactJson } from '../../../../src/ingest/server/compact-json.js';
import type { IngestRequest, JsonService } from '../../../../src/ingest/server/types.js';

/** A deterministic stand-in for random record data: bytes from a fixed LCG. */
function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function putRecordsBody(records: number, dataBytes: number): string {
  const entries = Array.from(
    { length: records },
    (_, i) => `{"Data":"${bytes(dataBytes, i + 1).toString('base64')}","PartitionKey":"${bytes(12, 1000 + i).toString('hex')}"}`,
  );
  return `{"Records":[${entries.join(',')}],"StreamName":"bench"}`;
}

/** The body as the dispatcher sees it, at a given offset into its ArrayBuffer (chunks are slices of socket reads). */
function at(text: string, offset = 0, encoding: BufferEncoding = 'latin1'): Buffer {
  const bytesOf = Buffer.from(text, encoding);
  const backing = Buffer.alloc(offset + bytesOf.length + 3);
  bytesOf.copy(backing, offset);
  return backing.subarray(offset, offset + bytesOf.length);
}

/** JSON.parse's verdict on the same bytes, as the dispatcher's fallback would reach it. */
function jsonParse(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** The contract: a value only where JSON.parse gives exactly that value; otherwise undefined. */
function expectAgreesWithJsonParse(body: Buffer): void {
  const fast = parseCompactJson(body);
  const slow = jsonParse(body);
  if (fast === undefined) return;
  expect(slow.ok, `accepted what JSON.parse rejects: ${body.toString('latin1').slice(0, 80)}`).toBe(true);
  expect(fast).toStrictEqual((slow as { value: unknown }).value);
}

describe('parseCompactJson', () => {
  it('parses a PutRecords body as the SDK sends it to exactly what JSON.parse returns', () => {
    const body = at(putRecordsBody(500, 1024));
    const value = parseCompactJson(body);
    expect(value).not.toBeUndefined();
    expect(value).toStrictEqual(JSON.parse(body.toString('utf8')));
  });

  it('parses objects, arrays, empty containers, nesting and spaces between tokens like JSON.parse', () => {
    const bodies = [
      '{}',
      '[]',
      '"just a string"',
      '  { "a" : [ "x" , [ ] , { } , { "b" : "" } ] , "c" : "d" }  ',
      '{"Records":[{"Data":"AAAA","PartitionKey":"k","ExplicitHashKey":"170141183460469231731687303715884105728"}],"StreamARN":"arn:aws:kinesis:us-east-1:123456789012:stream/s"}',
      '{"constructor":"c","toString":"t","0":"zero","10":"ten","1":"one"}',
    ];
    for (const text of bodies) {
      const value = parseCompactJson(at(text));
      expect(value, text).not.toBeUndefined();
      expect(value, text).toStrictEqual(JSON.parse(text));
    }
  });

  it('leaves numbers, literals, escapes, non-ASCII, tabs and newlines to JSON.parse', () => {
    const bodies = [
      '{"Limit":10}',
      '{"a":true}',
      '{"a":false}',
      '{"a":null}',
      '{"a":"quote \\" inside"}',
      '{"a":"\\u0041"}',
      '{"a":"caf\u00e9"}',
      '{\t"a":"b"}',
      '{"a":"b"}\n',
      '\r\n{"a":"b"}',
    ];
    for (const text of bodies) expect(parseCompactJson(at(text, 0, 'utf8')), text).toBeUndefined();
  });

  it('leaves repeated keys and __proto__ to JSON.parse, which gives them their own semantics', () => {
    expect(parseCompactJson(at('{"a":"1","a":"2"}'))).toBeUndefined();
    expect(parseCompactJson(at('{"__proto__":{"polluted":"yes"}}'))).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('leaves nesting deeper than any AWS request to JSON.parse instead of recursing', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(parseCompactJson(at(deep))).toBeUndefined();
    expect(parseCompactJson(at(`${'['.repeat(20)}"x"${']'.repeat(20)}`))).toStrictEqual(JSON.parse(`${'['.repeat(20)}"x"${']'.repeat(20)}`));
  });

  it('finds a raw control byte at any position of a long string, whatever the body alignment', () => {
    const clean = putRecordsBody(2, 300);
    const start = clean.indexOf('"Data":"') + 8;
    for (let offset = 0; offset < 4; offset++) {
      expect(parseCompactJson(at(clean, offset))).toStrictEqual(JSON.parse(clean));
      for (let i = start; i < start + 24; i++) {
        for (const control of [0x00, 0x01, 0x09, 0x0a, 0x1f]) {
          const text = `${clean.slice(0, i)}${String.fromCharCode(control)}${clean.slice(i + 1)}`;
          expect(parseCompactJson(at(text, offset)), `offset ${offset}, position ${i}, byte ${control}`).toBeUndefined();
        }
      }
      const last = clean.indexOf('"', start) - 1;
      const text = `${clean.slice(0, last)}\u0007${clean.slice(last + 1)}`;
      expect(parseCompactJson(at(text, offset))).toBeUndefined();
    }
  });

  it('never accepts what JSON.parse rejects: every truncation and single-byte change of a body', () => {
    const text = '{"Records":[{"Data":"QUJD","PartitionKey":"pk"},{"Data":"","PartitionKey":"p2"}],"StreamName":"s","Tags":{}}';
    const replacements = ['{', '}', '[', ']', ',', ':', '"', ' ', 'x', '0', '\u0001'];
    for (let i = 0; i <= text.length; i++) expectAgreesWithJsonParse(at(text.slice(0, i)));
    for (let i = 0; i < text.length; i++) {
      expectAgreesWithJsonParse(at(text.slice(0, i) + text.slice(i + 1)));
      for (const r of replacements) expectAgreesWithJsonParse(at(text.slice(0, i) + r + text.slice(i + 1)));
      for (const r of replacements) expectAgreesWithJsonParse(at(text.slice(0, i) + r + text.slice(i)));
    }
  });
});

describe('awsJson1_1 dispatch of large bodies', () => {
  const seen: unknown[] = [];
  const service: JsonService = {
    targetPrefix: 'Kinesis_20131202',
    signingName: 'kinesis',
    operations: {
      PutRecords: (input) => {
        seen.push(input);
        return {};
      },
    },
  };
  const dispatcher = new AwsJsonDispatcher({
    authenticator: createAuthenticator({ clock: { now: () => 0 }, defaultRegion: 'us-east-1' }),
    accountId: '123456789012',
    logger: pino({ level: 'silent' }),
  });
  dispatcher.register(service);
  const request = (body: Buffer): IngestRequest => ({
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    httpVersion: '1.1',
    headers: { host: 'localhost', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.PutRecords' },
    body,
  });

  it('hands the operation the same input JSON.parse gives, for a large compact body', async () => {
    seen.length = 0;
    const body = at(putRecordsBody(100, 1024));
    expect(body.length).toBeGreaterThan(64 * 1024);
    const response = await dispatcher.handle(request(body), 'r1', 0);
    expect(response.status).toBe(200);
    expect(seen).toStrictEqual([JSON.parse(body.toString('utf8'))]);
  });

  it('hands the operation the same input for a large body with non-ASCII partition keys (the JSON.parse path)', async () => {
    seen.length = 0;
    const text = putRecordsBody(100, 1024).replace('"PartitionKey":"', '"PartitionKey":"schlüssel-');
    const response = await dispatcher.handle(request(at(text, 0, 'utf8')), 'r2', 0);
    expect(response.status).toBe(200);
    expect((seen[0] as { Records: { PartitionKey: string }[] }).Records[0]!.PartitionKey.startsWith('schlüssel-')).toBe(true);
  });

  it('still refuses a large body with a raw control byte inside a string as invalid JSON', async () => {
    seen.length = 0;
    const clean = putRecordsBody(100, 1024);
    const i = clean.indexOf('"Data":"') + 20;
    const response = await dispatcher.handle(request(at(`${clean.slice(0, i)}\u0001${clean.slice(i + 1)}`)), 'r3', 0);
    expect(response.status).toBe(400);
    expect(JSON.parse(String(response.body))).toMatchObject({ __type: 'SerializationException', message: expect.stringContaining('not valid JSON') });
    expect(seen).toHaveLength(0);
  });
});

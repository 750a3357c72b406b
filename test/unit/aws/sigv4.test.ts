import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { staticCredentials, type AwsCredentials } from '../../../src/aws/credentials.js';
import { EMPTY_PAYLOAD_SHA256, STREAMING_PAYLOAD_LITERAL, amzDate, signRequest } from '../../../src/aws/sigv4.js';
import { openPutMediaRequest } from '../../../src/sinks/kinesis-video/put-media-request.js';

/** node:crypto behind the Hash interface @smithy/signature-v4 expects: the independent signer. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {}
}

const KEYS: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const TEMPORARY: AwsCredentials = { ...KEYS, sessionToken: 'FQoGZXIvYXdzEJr//////////wEaDOq+token/with=odd+chars' };
const DATE = new Date(Date.UTC(2025, 0, 15, 12, 34, 56));

async function smithySignature(
  credentials: AwsCredentials,
  request: { method: string; hostname: string; path: string; headers: Record<string, string>; query?: Record<string, string> },
  extraSignable: string[],
): Promise<string> {
  const signer = new SignatureV4({ service: 'kinesisvideo', region: 'eu-central-1', credentials, sha256: NodeSha256, applyChecksum: false });
  const signed = await signer.sign(
    new HttpRequest({ method: request.method, protocol: 'https:', hostname: request.hostname, path: request.path, headers: { ...request.headers }, query: request.query ?? {} }),
    { signingDate: DATE, signableHeaders: new Set(extraSignable) },
  );
  return String(signed.headers.authorization);
}

describe('signRequest', () => {
  it('formats X-Amz-Date as YYYYMMDDTHHMMSSZ', () => {
    expect(amzDate(DATE)).toBe('20250115T123456Z');
  });

  it('produces the same Authorization as @smithy/signature-v4 for a control-plane request', async () => {
    const body = '{"StreamName":"cam-1"}';
    const payloadHash = createHash('sha256').update(body).digest('hex');
    const headers = { host: 'kinesisvideo.eu-central-1.amazonaws.com', 'content-type': 'application/json', 'x-amz-content-sha256': payloadHash };
    const ours = signRequest(
      { method: 'POST', path: '/describeStream', headers },
      { credentials: KEYS, region: 'eu-central-1', service: 'kinesisvideo', date: DATE, payloadHash },
    );
    const theirs = await smithySignature(KEYS, { method: 'POST', hostname: headers.host, path: '/describeStream', headers }, []);
    expect(ours.headers.authorization).toBe(theirs);
    expect(ours.signedHeaders).toBe('content-type;host;x-amz-content-sha256;x-amz-date');
  });

  it('matches @smithy/signature-v4 on PutMedia headers with the empty-body hash, temporary credentials and a query string', async () => {
    const headers = {
      host: 's-96607c7a.kinesisvideo.eu-central-1.amazonaws.com',
      'user-agent': 'kedge',
      'x-amzn-stream-name': 'cam-1',
      'x-amzn-fragment-timecode-type': 'ABSOLUTE',
      'x-amzn-producer-start-timestamp': '1736944496.058',
      'x-amzn-fragment-acknowledgment-required': '1',
      'transfer-encoding': 'chunked',
      connection: 'keep-alive',
      'content-type': 'application/json',
    };
    const query = { b: '2', a: 'x y', 'c*': "!'()" };
    const ours = signRequest(
      { method: 'POST', path: '/putMedia', headers, query },
      { credentials: TEMPORARY, region: 'eu-central-1', service: 'kinesisvideo', date: DATE, payloadHash: EMPTY_PAYLOAD_SHA256 },
    );
    // smithy leaves connection/transfer-encoding/user-agent unsigned unless told otherwise; PIC signs them.
    const theirs = await smithySignature(TEMPORARY, { method: 'POST', hostname: headers.host, path: '/putMedia', headers, query }, ['connection', 'transfer-encoding', 'user-agent']);
    expect(ours.headers.authorization).toBe(theirs);
    expect(ours.headers['x-amz-security-token']).toBe(TEMPORARY.sessionToken);
    expect(ours.signedHeaders).toBe(
      'connection;content-type;host;transfer-encoding;user-agent;x-amz-date;x-amz-security-token;x-amzn-fragment-acknowledgment-required;x-amzn-fragment-timecode-type;x-amzn-producer-start-timestamp;x-amzn-stream-name',
    );
    expect(ours.canonicalRequest.endsWith(`\n${EMPTY_PAYLOAD_SHA256}`)).toBe(true);
  });

  it('signs a different signature when any signed header changes', () => {
    const base = { host: 'h', 'x-amzn-stream-name': 'cam-1' };
    const sign = (headers: Record<string, string>) =>
      signRequest({ method: 'POST', path: '/putMedia', headers }, { credentials: KEYS, region: 'us-east-1', service: 'kinesisvideo', date: DATE, payloadHash: EMPTY_PAYLOAD_SHA256 }).signature;
    expect(sign(base)).not.toBe(sign({ ...base, 'x-amzn-stream-name': 'cam-2' }));
    expect(sign(base)).toBe(sign({ ...base }));
  });
});

describe('openPutMediaRequest signing, checked on the wire', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    server = undefined;
  });

  async function capture(payloadSigning: 'empty-body-hash' | 'streaming-literal'): Promise<http.IncomingHttpHeaders & { path: string }> {
    let seen: (http.IncomingHttpHeaders & { path: string }) | undefined;
    const got = new Promise<void>((resolve) => {
      server = http.createServer((req, res) => {
        seen = { ...req.headers, path: req.url ?? '' };
        res.writeHead(200);
        res.end();
        req.resume();
        resolve();
      });
    });
    await new Promise<void>((resolve) => server!.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const port = (server!.address() as AddressInfo).port;
    const { request } = await openPutMediaRequest({
      endpoint: `http://127.0.0.1:${port}`,
      stream: { streamName: 'cam-1' },
      region: 'eu-central-1',
      credentials: staticCredentials(TEMPORARY),
      nowMs: DATE.getTime(),
      producerStartMs: 1736944496058,
      payloadSigning,
    });
    request.on('error', () => {});
    await got;
    request.destroy();
    return seen!;
  }

  async function verifyWithSmithy(seen: http.IncomingHttpHeaders & { path: string }): Promise<void> {
    const auth = String(seen.authorization);
    const signedNames = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';');
    const headers: Record<string, string> = {};
    for (const name of signedNames) headers[name] = String(seen[name]);
    // smithy adds x-amz-date and the token itself; give it what was on the wire minus those.
    delete headers['x-amz-date'];
    delete headers['x-amz-security-token'];
    const extra = signedNames.filter((n) => ['connection', 'transfer-encoding', 'user-agent'].includes(n));
    const theirs = await smithySignature(TEMPORARY, { method: 'POST', hostname: String(seen.host), path: seen.path, headers }, extra);
    expect(auth).toBe(theirs);
  }

  it('sends headers whose signature verifies independently (empty-body hash, no x-amz-content-sha256)', async () => {
    const seen = await capture('empty-body-hash');
    expect(seen['x-amz-content-sha256']).toBeUndefined();
    expect(seen['x-amzn-stream-name']).toBe('cam-1');
    expect(seen['x-amzn-producer-start-timestamp']).toBe('1736944496.058');
    expect(seen['x-amzn-fragment-timecode-type']).toBe('ABSOLUTE');
    expect(seen['transfer-encoding']).toBe('chunked');
    expect(String(seen.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20250115\/eu-central-1\/kinesisvideo\/aws4_request, /);
    await verifyWithSmithy(seen);
  });

  it('sends and signs x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD in streaming-literal mode', async () => {
    const seen = await capture('streaming-literal');
    expect(seen['x-amz-content-sha256']).toBe(STREAMING_PAYLOAD_LITERAL);
    await verifyWithSmithy(seen);
  });
});

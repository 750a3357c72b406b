/** Requests signed by the AWS SDK's own SigV4 signer, shaped as the ingest server receives them. */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RequestHead } from '../../../../src/ingest/server/types.js';

/** The hash constructor the SDK's signer takes (a keyed one is an HMAC), on node:crypto. */
export class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    if (secret === undefined) {
      this.hash = createHash('sha256');
      return;
    }
    const key = typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength) : Buffer.from(secret);
    this.hash = createHmac('sha256', key);
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

/** Signs with the SDK's own signer and turns the result into what the server would receive. */
export async function signedBySdk(
  request: { method?: string; path?: string; query?: Record<string, string | string[]>; headers?: Record<string, string>; body?: string },
  options: { secret?: string; date?: Date; presign?: boolean; service?: string; declarePayloadHash?: boolean } = {},
): Promise<{ head: RequestHead; body: Buffer }> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: options.secret ?? 'secret-1' },
    region: 'eu-west-1',
    service: options.service ?? 'kinesis',
    sha256: Sha256,
    applyChecksum: options.declarePayloadHash ?? true,
  });
  const http = new HttpRequest({
    method: request.method ?? 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4567,
    path: request.path ?? '/',
    query: request.query ?? {},
    headers: { host: '127.0.0.1:4567', 'content-type': 'application/x-amz-json-1.1', ...request.headers },
    body: request.body ?? '{}',
  });
  const signingDate = options.date ?? new Date('2026-11-25T12:00:00Z');
  const signed = options.presign ? await signer.presign(http, { signingDate, expiresIn: 300 }) : await signer.sign(http, { signingDate });
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(signed.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== null && v !== undefined) query.append(key, v);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return { head: { method: signed.method, path: signed.path, query, headers, httpVersion: '1.1' }, body: Buffer.from(String(signed.body ?? '')) };
}


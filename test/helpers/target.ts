/**
 * Starts the real ingest target in-process on 127.0.0.1, port 0, with a temp data dir (or in memory),
 * and the real SDK clients pointed at it. `close()` destroys the clients, closes the target and removes
 * every directory it made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pino from 'pino';
import { startIngestTarget, type IngestTarget, type IngestTargetOptions } from '../../src/ingest/target.js';

export interface TestTarget {
  readonly url: string;
  readonly target: IngestTarget;
  /** Absolute data dir, or undefined with `memory: true`. */
  readonly dataDir: string | undefined;
  readonly s3Dir: string;
  /** Default client configuration: HTTP/2 (h2c), as users run it. */
  readonly kinesis: KinesisClient;
  /** The same over HTTP/1.1 (`NodeHttpHandler`). */
  readonly kinesisH1: KinesisClient;
  readonly firehose: FirehoseClient;
  close(): Promise<void>;
}

export const TEST_REGION = 'us-east-1';
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDKEDGETEST', secretAccessKey: 'kedge-test-secret' } as const;

/**
 * `opts` are passed to startIngestTarget (port and host are forced to 0 / 127.0.0.1; `dataDir`
 * defaults to a fresh temp dir unless `memory`). With `auth`, the clients sign with its first key.
 */
export async function startTestTarget(opts: IngestTargetOptions = {}): Promise<TestTarget> {
  const ownDataDir = !opts.memory && opts.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'kedge-test-target-')) : undefined;
  const target = await startIngestTarget({
    logger: pino({ level: 'silent' }),
    ...opts,
    ...(ownDataDir !== undefined ? { dataDir: ownDataDir } : {}),
    port: 0,
    host: '127.0.0.1',
  });
  const credentials = opts.auth?.[0] ?? TEST_CREDENTIALS;
  const common = { endpoint: target.url, region: TEST_REGION, credentials };
  const kinesis = new KinesisClient(common);
  const kinesisH1 = new KinesisClient({ ...common, requestHandler: new NodeHttpHandler() });
  const firehose = new FirehoseClient(common);
  return {
    url: target.url,
    target,
    dataDir: target.dataDir,
    s3Dir: target.s3Dir,
    kinesis,
    kinesisH1,
    firehose,
    close: async () => {
      kinesis.destroy();
      kinesisH1.destroy();
      firehose.destroy();
      await target.close();
      if (ownDataDir !== undefined) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}

/* ------------------------------------------------------------------------------------------------------
 * Raw HTTP/1.1 and HTTP/2 requests, for tests that need what an SDK would never send (or needs to see).
 */

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
  httpVersion: string;
}

/** An awsJson1_1 request for `target` with `body` (a JSON string). */
export function jsonRequest(target: string, body: string | Buffer = '{}', headers: Record<string, string> = {}): RawRequest {
  return { method: 'POST', path: '/', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, ...headers }, body };
}

export function http1Request(url: string, request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const req = httpRequest(
      `${url}${request.path ?? '/'}`,
      {
        method: request.method ?? 'POST',
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...request.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks), httpVersion: res.httpVersion });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function http2Request(url: string, request: RawRequest): Promise<RawResponse> {
  const session = http2Connect(url);
  try {
    return await new Promise<RawResponse>((resolve, reject) => {
      session.on('error', reject);
      const stream = session.request({ ':method': request.method ?? 'POST', ':path': request.path ?? '/', ...request.headers });
      const chunks: Buffer[] = [];
      let status = 0;
      const headers: Record<string, string> = {};
      stream.on('response', (h) => {
        status = Number(h[':status']);
        for (const [k, v] of Object.entries(h)) if (!k.startsWith(':') && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ status, headers, body: Buffer.concat(chunks), httpVersion: '2.0' }));
      stream.on('error', reject);
      stream.end(request.body === undefined ? undefined : Buffer.from(request.body));
    });
  } finally {
    session.close();
  }
}

/**
 * Requests to an awsJson1.1 service (Kinesis: PutRecords, ListShards; Firehose: PutRecordBatch) signed
 * and sent by us (aws/sigv4.ts over node:http(s) keep-alive). Where they go and who signs them come
 * from the caller: location.ts resolves region and endpoint as the SDK would (once), and credentials
 * from the options or the SDK's provider chain, cached until shortly before they expire.
 *
 * Why not an SDK client: per request it builds a middleware stack, resolves the endpoint, formats a
 * user agent and signs through layers of objects. Measured on a draining producer: 5.4 CPU µs per
 * record through the client against 3.5 this way, and the client's per-request objects, alive for the
 * whole request, were a steady share of what survived V8's scavenges. And loading the client and its
 * dependencies cost the process ≈ 20 MB of RSS, a fifth of a device's budget for the producer.
 *
 * Errors are shaped like the SDK's service exceptions (`name` = the service's error code, `$fault`,
 * `$metadata.httpStatusCode`), so retry/classify.ts and the settler treat both paths alike.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { CredentialProvider } from '../../aws/credentials.js';
import type { ServiceEndpoint } from '../../aws/endpoint.js';
import { signRequest } from '../../aws/sigv4.js';
import { SinkRequestTimeoutError } from './errors.js';
import type { AwsJsonService } from './services.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Where requests go and the region they are signed for. */
export interface DirectTarget {
  readonly endpoint: ServiceEndpoint;
  readonly region: string;
}

/** A service's error answer, shaped like an AWS SDK v3 service exception. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId: string | undefined };

  constructor(code: string, message: string, status: number, requestId: string | undefined) {
    super(message);
    this.name = code;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId };
  }
}

/**
 * Request bodies, reused: a body (about 1.4 MB for a 1 MiB PutRecords) is written, handed to the
 * socket, and free again as soon as the socket has taken it (requests spend most of their time
 * waiting for the answer, so a few bodies serve more requests in flight). Fresh ones per request were
 * the largest garbage a draining producer made; the C allocator kept their peak resident long after. At most `max` free ones are kept
 * (one per connection: a producer then never holds more bodies than it can have in flight, and never
 * frees and allocates them again).
 */
class BodyBuffers {
  readonly #free: ArrayBuffer[] = [];

  constructor(private readonly max: number) {}

  take(bytes: number): Buffer {
    for (let i = this.#free.length - 1; i >= 0; i--) {
      const free = this.#free[i]!;
      if (free.byteLength >= bytes) {
        this.#free.splice(i, 1);
        return Buffer.from(free, 0, bytes);
      }
    }
    // Rounded up, so that the next, slightly larger body fits too.
    return Buffer.from(new ArrayBuffer(Math.ceil(bytes / BODY_ROUNDING) * BODY_ROUNDING), 0, bytes);
  }

  give(body: Buffer): void {
    if (body.byteOffset !== 0) return;
    if (this.#free.length >= this.max) this.#free.shift(); // keep the newest
    this.#free.push(body.buffer as ArrayBuffer);
  }
}

const BODY_ROUNDING = 256 * 1024;


export class DirectJsonClient {
  readonly bodies: BodyBuffers;
  readonly #service: AwsJsonService;
  readonly #locate: () => Promise<DirectTarget>;
  readonly #credentials: CredentialProvider;
  readonly #agents: { http: HttpAgent; https: HttpsAgent };

  /** `locate` and `credentials` are asked before every request: both answer from a cache (location.ts). */
  constructor(service: AwsJsonService, locate: () => Promise<DirectTarget>, credentials: CredentialProvider, maxSockets: number) {
    this.#service = service;
    this.#locate = locate;
    this.#credentials = credentials;
    this.#agents = { http: new HttpAgent({ keepAlive: true, maxSockets }), https: new HttpsAgent({ keepAlive: true, maxSockets }) };
    this.bodies = new BodyBuffers(maxSockets);
  }

  /**
   * Calls `operation` with a JSON body; resolves with the response body, or rejects with
   * AwsServiceError, SinkRequestTimeoutError after `timeoutMs`, the caller's abort reason, or the
   * network error. One timer per request and no AbortController: per-request objects that live as
   * long as the request are what a busy producer's garbage collector has to copy. `sent` is called once
   * the whole body has been handed to the operating system (the caller may reuse it from then on).
   */
  async call(operation: string, body: Buffer, timeoutMs: number, signal?: AbortSignal, sent?: () => void): Promise<Buffer> {
    signal?.throwIfAborted();
    const target = await this.#locate();
    const credentials = await this.#credentials();
    const { endpoint, region } = target;
    const path = `${endpoint.basePath}/`;
    const signed = signRequest(
      { method: 'POST', path, headers: { host: endpoint.host, 'content-type': CONTENT_TYPE, 'x-amz-target': this.#service.targetPrefix + operation } },
      { credentials, region, service: this.#service.signingName, date: new Date(), payloadHash: createHash('sha256').update(body).digest('hex') },
    );
    signed.headers['content-length'] = String(body.length);
    const https = endpoint.protocol === 'https:';
    const options = { agent: https ? this.#agents.https : this.#agents.http, hostname: endpoint.hostname, port: endpoint.port, method: 'POST', path, headers: signed.headers };
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const finish = (error: unknown, answer?: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error === undefined) resolve(answer!);
        else reject(error as Error);
      };
      const req = (https ? httpsRequest : httpRequest)(options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', finish);
        response.on('end', () => {
          const answer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const status = response.statusCode ?? 0;
          finish(status >= 200 && status < 300 ? undefined : errorOf(status, answer, response.headers), answer);
        });
      });
      req.on('error', finish);
      if (sent !== undefined) req.on('finish', sent);
      const timer = setTimeout(() => {
        req.destroy();
        finish(new SinkRequestTimeoutError(operation, timeoutMs, new DOMException(`${operation} timed out after ${timeoutMs} ms`, 'TimeoutError')));
      }, timeoutMs);
      const onAbort = (): void => {
        req.destroy();
        finish(signal!.reason);
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  destroy(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}

/** The service's error answer (awsJson1.1: `__type` and `message` in the body, or `x-amzn-errortype`). */
function errorOf(status: number, body: Buffer, headers: IncomingMessage['headers']): AwsServiceError {
  let parsed: { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    parsed = (JSON.parse(body.toString('utf8')) as typeof parsed | null) ?? {};
  } catch {
    // Not JSON (a proxy's error page): the status alone classifies it.
  }
  const header = headers['x-amzn-errortype'];
  // Where the SDK's awsJson1.1 reader looks, in its order: the header, then `code`, then `__type`.
  const rawType =
    typeof header === 'string' ? header : typeof parsed.code === 'string' ? parsed.code : typeof parsed.__type === 'string' ? parsed.__type : `HTTP ${status}`;
  // "com.amazonaws.kinesis#ResourceNotFoundException", "ResourceNotFoundException:http://..." or "A,B".
  const head = rawType.split(/[,:]/)[0]!;
  const code = head.slice(head.lastIndexOf('#') + 1);
  const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : `${code} (HTTP ${status})`;
  const requestId = headers['x-amzn-requestid'];
  return new AwsServiceError(code, message, status, typeof requestId === 'string' ? requestId : undefined);
}

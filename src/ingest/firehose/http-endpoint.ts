/**
 * Delivery to an HTTP endpoint exactly as Firehose does it (httpdeliveryrequestresponse.md; reference/ingest.md §5):
 * POST to the configured URL with X-Amz-Firehose-* headers and `{requestId, timestamp, records:[{data}]}`;
 * only a 200 whose JSON body echoes the requestId is success. 413 is permanent; anything else is retried with
 * backoff (1 s, x2, +-15 %, cap 2 min) until the retry duration runs out. The request id stays the same across
 * retries so the receiver can de-duplicate.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Clock, Rng, Sleep } from '../../core/clock.js';
import { backoffDelayMs } from './backoff.js';
import type { HttpDestination } from './config.js';
import { HTTP_MAX_RESPONSE_BYTES, HTTP_RESPONSE_TIMEOUT_MS } from './constants.js';
import type { Failure } from './error-records.js';
import { uuidFrom } from './s3-key.js';

const gzip = promisify(gzipCallback);

export interface HttpDeliveryDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly sleep: Sleep;
  readonly signal: AbortSignal;
}

export type HttpDeliveryResult = { readonly ok: true; readonly attempts: number; readonly requestId: string } | ({ readonly ok: false } & Failure);

interface AttemptOutcome {
  readonly ok: boolean;
  readonly permanent?: boolean;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** Sends one request's worth of records (the caller keeps it within 10,000 records and 64 MiB). */
export async function deliverToHttpEndpoint(
  destination: HttpDestination,
  sourceArn: string,
  records: readonly Buffer[],
  deps: HttpDeliveryDeps,
): Promise<HttpDeliveryResult> {
  const requestId = uuidFrom(deps.rng);
  const start = deps.clock.now();
  const durationMs = destination.retryDurationSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(destination, sourceArn, requestId, records, deps);
    if (outcome.ok) return { ok: true, attempts: attempt, requestId };
    const failed = (): HttpDeliveryResult => ({
      ok: false,
      errorCode: outcome.errorCode ?? 'HttpEndpoint.DestinationException',
      errorMessage: outcome.errorMessage ?? 'Delivery to the HTTP endpoint failed.',
      attemptsMade: attempt,
      attemptEndingTimestamp: deps.clock.now(),
    });
    if (outcome.permanent || deps.signal.aborted) return failed();
    const delay = backoffDelayMs(attempt, deps.rng);
    if (deps.clock.now() - start + delay > durationMs) return failed();
    await deps.sleep(delay, deps.signal);
    if (deps.signal.aborted) return failed();
  }
}

async function attemptOnce(
  destination: HttpDestination,
  sourceArn: string,
  requestId: string,
  records: readonly Buffer[],
  deps: HttpDeliveryDeps,
): Promise<AttemptOutcome> {
  // Built by concatenation: base64 never needs JSON escaping, so there is no JSON round trip per record.
  const parts: string[] = [`{"requestId":"${requestId}","timestamp":${deps.clock.now()},"records":[`];
  records.forEach((data, i) => parts.push(`${i ? ',' : ''}{"data":"${data.toString('base64')}"}`));
  parts.push(']}');
  let body = Buffer.from(parts.join(''));
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Amz-Firehose-Protocol-Version': '1.0',
    'X-Amz-Firehose-Request-Id': requestId,
    'X-Amz-Firehose-Source-Arn': sourceArn,
  };
  if (destination.accessKey !== undefined) headers['X-Amz-Firehose-Access-Key'] = destination.accessKey;
  if (destination.commonAttributes.length > 0) {
    headers['X-Amz-Firehose-Common-Attributes'] = JSON.stringify({ commonAttributes: Object.fromEntries(destination.commonAttributes) });
  }
  if (destination.contentEncoding === 'GZIP') {
    body = await gzip(body);
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = String(body.length);

  let response: { status: number; body: Buffer; tooLarge: boolean };
  try {
    response = await post(destination.url, headers, body, deps.signal);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ETIMEDOUT_RESPONSE') return { ok: false, errorCode: 'HttpEndpoint.RequestTimeout', errorMessage: 'The response timed out after 180 seconds.' };
    if (e.code === 'ECONNRESET') return { ok: false, errorCode: 'HttpEndpoint.ConnectionReset', errorMessage: `The connection to the endpoint was reset: ${e.message}` };
    return { ok: false, errorCode: 'HttpEndpoint.ConnectionFailed', errorMessage: `Could not connect to the endpoint ${destination.url}: ${e.message}` };
  }
  if (response.tooLarge) {
    return { ok: false, errorCode: 'HttpEndpoint.ResponseTooLarge', errorMessage: `The response from the endpoint is larger than ${HTTP_MAX_RESPONSE_BYTES} bytes.` };
  }
  const text = response.body.toString('utf8');
  if (response.status !== 200) {
    return {
      ok: false,
      // "413 (request entity too large) is a permanent failure": retrying the same body cannot help.
      permanent: response.status === 413,
      errorCode: 'HttpEndpoint.DestinationException',
      errorMessage: `Received the following response from the endpoint destination. ${response.status}: ${text.slice(0, 8192)}`,
    };
  }
  let echoed: unknown;
  try {
    echoed = (JSON.parse(text) as { requestId?: unknown }).requestId;
  } catch {
    echoed = undefined;
  }
  if (echoed !== requestId) {
    return {
      ok: false,
      errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
      errorMessage: `The response from the endpoint is not a JSON body echoing requestId ${requestId}: ${text.slice(0, 1024)}`,
    };
  }
  return { ok: true };
}

function post(url: string, headers: Record<string, string>, body: Buffer, signal: AbortSignal): Promise<{ status: number; body: Buffer; tooLarge: boolean }> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, signal, timeout: HTTP_RESPONSE_TIMEOUT_MS }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > HTTP_MAX_RESPONSE_BYTES) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, body: Buffer.alloc(0), tooLarge: true });
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), tooLarge: false }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('response timeout'), { code: 'ETIMEDOUT_RESPONSE' })));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * PutMedia's HTTP-level failures: the service rejects the request before streaming ACKs (kvs.md §1.5):
 * 400 ClientLimitExceeded / ConnectionLimitExceeded / InvalidArgument / InvalidEndpoint, 401 NotAuthorized,
 * 403 (signature, clock skew, IAM), 404 ResourceNotFound, 5xx. The error name comes in `x-amzn-ErrorType`
 * (or `x-amz-ErrorType`, or the Coral body's `__type`); the request id in `x-amzn-RequestId`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { KinesisVideoError } from './errors.js';

export interface HttpFailure {
  readonly error: KinesisVideoError;
  readonly stop: boolean;
  readonly endpointSuspect: boolean;
  readonly streamSuspect: boolean;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The error name without the Coral namespace or the ":http://..." suffix restJson1 allows. */
function errorName(headers: IncomingHttpHeaders, body: string): string | undefined {
  let raw = header(headers, 'x-amzn-errortype') ?? header(headers, 'x-amz-errortype');
  if (raw === undefined) {
    try {
      const parsed = JSON.parse(body) as { __type?: string; Output?: { __type?: string } };
      raw = parsed.__type ?? parsed.Output?.__type;
    } catch {
      // Not JSON: the status alone decides.
    }
  }
  if (raw === undefined) return undefined;
  const cut = raw.split(':')[0]!;
  return cut.slice(cut.lastIndexOf('#') + 1);
}

function bodyMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: string; Message?: string; Output?: { Message?: string | null } };
    return parsed.message ?? parsed.Message ?? parsed.Output?.Message ?? '';
  } catch {
    return body.slice(0, 200);
  }
}

export function describeHttpFailure(status: number, headers: IncomingHttpHeaders, body: string, connectionId: number): HttpFailure {
  const name = errorName(headers, body);
  const requestId = header(headers, 'x-amzn-requestid') ?? header(headers, 'x-amz-requestid');
  const message = bodyMessage(body);
  const what = `PutMedia connection ${connectionId} got HTTP ${status}${name === undefined ? '' : ` ${name}`}${message === '' ? '' : `: ${message}`}${requestId === undefined ? '' : ` (request ${requestId})`}`;
  const make = (code: ConstructorParameters<typeof KinesisVideoError>[0], advice: string, retryable = true): KinesisVideoError =>
    new KinesisVideoError(code, `${what}. ${advice}`, { awsError: name ?? String(status), retryable });

  if (name === 'ResourceNotFoundException' || status === 404) {
    return { error: make('KVS_STREAM_NOT_FOUND', 'Describing the stream again before reconnecting.'), stop: false, endpointSuspect: true, streamSuspect: true };
  }
  if (name === 'InvalidEndpointException') {
    return { error: make('KVS_PUT_MEDIA_HTTP_ERROR', 'Asking GetDataEndpoint for a new endpoint.'), stop: false, endpointSuspect: true, streamSuspect: false };
  }
  if (name === 'AccessDeniedException') {
    return {
      error: make('KVS_ACCESS_DENIED', 'Allow kinesisvideo:PutMedia on this stream for these credentials, then restart the sink.', false),
      stop: true,
      endpointSuspect: false,
      streamSuspect: false,
    };
  }
  if (status === 401 || status === 403 || name === 'NotAuthorizedException') {
    // Expired tokens and clock skew ("Signature expired", kvs.md §1.3) clear up by themselves: keep trying.
    return {
      error: make('KVS_ACCESS_DENIED', 'Retrying with refreshed credentials; if this persists, check the credentials and that the device clock is NTP-synced.'),
      stop: false,
      endpointSuspect: false,
      streamSuspect: false,
    };
  }
  // ConnectionLimitExceeded (a previous connection still open), ClientLimitExceeded (TPS), 5xx, and
  // anything unknown: back off and try again.
  return { error: make('KVS_PUT_MEDIA_HTTP_ERROR', 'Backing off before reconnecting.'), stop: false, endpointSuspect: status >= 500, streamSuspect: false };
}

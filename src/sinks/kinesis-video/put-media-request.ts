/**
 * Builds and opens one PutMedia request by hand (no AWS SDK has PutMedia; kvs.md §1.1): POST
 * `<DataEndpoint>/putMedia`, HTTP/1.1 with a chunked body that stays open for the whole session, headers as
 * the C producers send them (kvs.md §1.2), signed with SigV4 for service `kinesisvideo` (kvs.md §1.3).
 */
import http, { type ClientRequest } from 'node:http';
import https from 'node:https';
import type { CredentialProvider } from '../../aws/credentials.js';
import { parseEndpoint } from '../../aws/endpoint.js';
import { EMPTY_PAYLOAD_SHA256, STREAMING_PAYLOAD_LITERAL, signRequest } from '../../aws/sigv4.js';
import type { StreamRef } from './control-plane.js';

export const PUT_MEDIA_PATH = '/putMedia';
export const KVS_SIGNING_NAME = 'kinesisvideo';

/**
 * How the streaming body is declared in the signature:
 * - 'empty-body-hash' (default): sign hex(SHA-256("")), send no x-amz-content-sha256 (producer-c, embedded-c).
 * - 'streaming-literal': send and sign `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (Java v1).
 */
export type PutMediaPayloadSigning = 'empty-body-hash' | 'streaming-literal';

export interface PutMediaRequestOptions {
  /** The DataEndpoint from GetDataEndpoint(PUT_MEDIA), e.g. https://s-1234abcd.kinesisvideo.eu-west-1.amazonaws.com */
  readonly endpoint: string;
  readonly stream: StreamRef;
  readonly region: string;
  readonly credentials: CredentialProvider;
  /** Signing time and the producer start timestamp, in ms since the epoch. */
  readonly nowMs: number;
  readonly producerStartMs: number;
  readonly userAgent?: string;
  readonly payloadSigning?: PutMediaPayloadSigning;
  /** Extra TLS options for https endpoints (e.g. a private CA). */
  readonly tls?: https.RequestOptions;
}

/** `x-amzn-producer-start-timestamp`: epoch seconds with a zero-padded millisecond fraction, e.g. 1595833960.058. */
export function formatProducerStartTimestamp(ms: number): string {
  const whole = Math.floor(ms / 1000);
  return `${whole}.${String(ms - whole * 1000).padStart(3, '0')}`;
}

/** The unsigned PutMedia headers (lower-case names), `host` included. */
export function putMediaHeaders(options: {
  readonly host: string;
  readonly stream: StreamRef;
  readonly producerStartMs: number;
  readonly userAgent?: string;
  readonly payloadSigning?: PutMediaPayloadSigning;
}): Record<string, string> {
  const headers: Record<string, string> = {
    host: options.host,
    'user-agent': options.userAgent ?? 'kedge',
    // Send the name or the ARN, never both (kvs.md §1.2).
    ...('streamName' in options.stream
      ? { 'x-amzn-stream-name': options.stream.streamName }
      : { 'x-amzn-stream-arn': options.stream.streamArn }),
    'x-amzn-fragment-timecode-type': 'ABSOLUTE',
    'x-amzn-producer-start-timestamp': formatProducerStartTimestamp(options.producerStartMs),
    'x-amzn-fragment-acknowledgment-required': '1',
    'transfer-encoding': 'chunked',
    connection: 'keep-alive',
    // Both C producers send it on PutMedia too; the service ignores it for the MKV body.
    'content-type': 'application/json',
  };
  if (options.payloadSigning === 'streaming-literal') headers['x-amz-content-sha256'] = STREAMING_PAYLOAD_LITERAL;
  return headers;
}

export interface OpenedPutMediaRequest {
  readonly request: ClientRequest;
  /** When the signing credentials expire (the session must rotate before), if they do. */
  readonly credentialsExpireAtMs: number | undefined;
}

/** Signs and opens the request; headers are flushed at once, the body is written by the caller. */
export async function openPutMediaRequest(options: PutMediaRequestOptions): Promise<OpenedPutMediaRequest> {
  const endpoint = parseEndpoint(options.endpoint);
  const credentials = await options.credentials();
  const path = `${endpoint.basePath}${PUT_MEDIA_PATH}`;
  const signing = options.payloadSigning ?? 'empty-body-hash';
  const unsigned = putMediaHeaders({
    host: endpoint.host,
    stream: options.stream,
    producerStartMs: options.producerStartMs,
    payloadSigning: signing,
    ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }),
  });
  const { headers } = signRequest(
    { method: 'POST', path, headers: unsigned },
    {
      credentials,
      region: options.region,
      service: KVS_SIGNING_NAME,
      date: new Date(options.nowMs),
      payloadHash: signing === 'streaming-literal' ? STREAMING_PAYLOAD_LITERAL : EMPTY_PAYLOAD_SHA256,
    },
  );
  const requestOptions: http.RequestOptions = {
    method: 'POST',
    host: endpoint.hostname,
    port: endpoint.port,
    path,
    headers,
    // One connection per session, never pooled: a session's socket dies with it.
    agent: false,
  };
  const request = endpoint.protocol === 'https:' ? https.request({ ...options.tls, ...requestOptions }) : http.request(requestOptions);
  request.flushHeaders();
  return { request, credentialsExpireAtMs: credentials.expiration?.getTime() };
}

/**
 * AWS Signature Version 4 for requests we build by hand (PutMedia), on node:crypto.
 *
 * Why our own signer: PutMedia streams an unbounded body, so the payload hash cannot be computed, and the
 * reference producer signs headers that @smithy/signature-v4 refuses to sign (`connection`,
 * `transfer-encoding`, `user-agent`). kvs.md §1.3: the C producer signs every header it sends except
 * `authorization`, `content-type`, `content-length` and `x-amz-security-token`, and uses hex(SHA-256(""))
 * as the payload hash without sending `x-amz-content-sha256`. We sign every header we send except
 * `authorization` and `content-length` (signing more headers than the service needs is allowed, and it
 * means no header can be altered in transit). Tests check our output against @smithy/signature-v4.
 */
import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentials } from './credentials.js';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** hex(SHA-256("")): the payload hash the C producer signs for PutMedia's streaming body. */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** The literal the Java v1 producer sends in `x-amz-content-sha256` and signs as the payload hash. */
export const STREAMING_PAYLOAD_LITERAL = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';

/** Headers never signed: `authorization` is the output, `content-length` is absent on chunked bodies. */
const NEVER_SIGNED = new Set(['authorization', 'content-length']);

export interface SignableRequest {
  readonly method: string;
  /** Path as sent, starting with '/' (no query string). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Every header that will be sent, `host` included. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface SignOptions {
  readonly credentials: AwsCredentials;
  readonly region: string;
  readonly service: string;
  /** Signing time; tests pass a fixed one. */
  readonly date: Date;
  /** The payload hash to sign, e.g. EMPTY_PAYLOAD_SHA256 or hex(SHA-256(body)). */
  readonly payloadHash: string;
}

export interface SignedRequestParts {
  /** The request's headers plus `x-amz-date`, `x-amz-security-token` (temporary credentials) and `authorization`. */
  readonly headers: Record<string, string>;
  readonly signedHeaders: string;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
}

/** `YYYYMMDD'T'HHMMSS'Z'`, the X-Amz-Date format. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(path: string): string {
  // Non-S3 services: each segment is URI-encoded once more, after dot-segment normalisation.
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const joined = `/${segments.map(rfc3986).join('/')}`;
  return path.endsWith('/') && segments.length > 0 ? `${joined}/` : joined;
}

function canonicalQuery(query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) return '';
  return Object.entries(query)
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The date-scoped signing key: HMAC chain over date, region, service, "aws4_request". */
export function signingKey(secretAccessKey: string, dateStamp: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, dateStamp), region), service), 'aws4_request');
}

/** Signs a request with SigV4 (header-based). Header names may have any case; the output uses lower case. */
export function signRequest(request: SignableRequest, options: SignOptions): SignedRequestParts {
  const xAmzDate = amzDate(options.date);
  const dateStamp = xAmzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers['x-amz-date'] = xAmzDate;
  if (options.credentials.sessionToken !== undefined) headers['x-amz-security-token'] = options.credentials.sessionToken;
  delete headers.authorization;

  const names = Object.keys(headers).filter((n) => !NEVER_SIGNED.has(n)).sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(request.query),
    canonicalHeaders,
    signedHeaders,
    options.payloadHash,
  ].join('\n');
  const scope = `${dateStamp}/${options.region}/${options.service}/aws4_request`;
  const stringToSign = [SIGV4_ALGORITHM, xAmzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = signingKey(options.credentials.secretAccessKey, dateStamp, options.region, options.service);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization =
    `${SIGV4_ALGORITHM} Credential=${options.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, signedHeaders, canonicalRequest, stringToSign, signature };
}

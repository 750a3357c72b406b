/**
 * AWS Signature Version 4, the server's half: rebuild the canonical request from what arrived on the wire
 * and compute the signature the client should have sent. Follows the AWS "Create a signed AWS API request"
 * steps (canonical request, string to sign, signing key), with the same path and query encoding the
 * SDK's signer applies, so a request it signed verifies here byte for byte.
 */
import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 encoding: encodeURIComponent leaves `!'()*` alone, SigV4 does not. */
export function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI: `.` and `..` segments and empty segments resolved, then every segment encoded once
 * more. The path arrives already percent-encoded, so this is the "double encoding" all services but S3 use.
 */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = path.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return uriEscape(`${leading}${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

/** Sorted `key=value` pairs, both encoded; `X-Amz-Signature` is left out (a presigned URL carries it). */
export function canonicalQuery(query: URLSearchParams): string {
  // Sorted by encoded key, then (for a repeated key) by encoded value. Sorting whole "k=v" strings would
  // be wrong: "a-b=1" sorts before "a=1" although key "a" comes first.
  const byKey = new Map<string, string[]>();
  for (const [key, value] of query) {
    if (key.toLowerCase() === 'x-amz-signature') continue;
    const encodedKey = uriEscape(key);
    const values = byKey.get(encodedKey);
    if (values) values.push(uriEscape(value));
    else byKey.set(encodedKey, [uriEscape(value)]);
  }
  const parts: string[] = [];
  for (const key of [...byKey.keys()].sort()) {
    for (const value of byKey.get(key)!.sort()) parts.push(`${key}=${value}`);
  }
  return parts.join('&');
}

/** Header value as signed: line breaks to spaces, runs of spaces and tabs collapsed, ends trimmed. */
export function canonicalHeaderValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

export interface CanonicalRequestInput {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Readonly<Record<string, string>>;
  /** Lower-case names in the order the client listed them in SignedHeaders (sorted, if it signed right). */
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  const headerLines = input.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(input.headers[name] ?? '')}`);
  return [
    input.method,
    canonicalPath(input.path),
    canonicalQuery(input.query),
    ...headerLines,
    '',
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

export function signingKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  let key: Buffer = createHmac('sha256', `AWS4${secretAccessKey}`).update(shortDate).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return key;
}

export function signature(key: Buffer, toSign: string): string {
  return createHmac('sha256', key).update(toSign).digest('hex');
}

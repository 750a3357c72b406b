/**
 * Reads what a request claims about its signature, from the `Authorization` header or from a presigned
 * URL's `X-Amz-*` query parameters, without checking it. Both the accept-anything mode (which only needs
 * the region from the credential scope) and real verification start here. Messages for malformed claims
 * are AWS's (as recorded by kinesalite's tests, which were written against the real service).
 */
import type { RequestHead } from '../server/types.js';
import { incompleteSignature, invalidSignature } from './auth-errors.js';
import { httpDateToAmz } from './amz-date.js';

export interface CredentialScope {
  readonly accessKeyId: string;
  /** `YYYYMMDD` */
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly terminator: string;
}

export interface SignatureClaim {
  readonly source: 'header' | 'query';
  readonly algorithm: string;
  readonly credential: CredentialScope;
  /** Lower-case header names as listed by the client. */
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** The request time as the client stated it (`x-amz-date`, `Date` header or `X-Amz-Date`), verbatim. */
  readonly amzDate: string;
  /** Presigned URLs only: `X-Amz-Expires`. */
  readonly expiresSeconds?: number;
}

const HEADER_PARAMS = ['Credential', 'Signature', 'SignedHeaders'] as const;
const QUERY_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'] as const;

/** `undefined` when the request carries no signature at all; throws for one that is malformed. */
export function readSignatureClaim(head: RequestHead): SignatureClaim | undefined {
  const header = head.headers['authorization'];
  const presigned = head.query.has('X-Amz-Algorithm');
  if (header !== undefined && presigned) {
    throw invalidSignature("Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  }
  if (header !== undefined) return fromHeader(header, head.headers);
  if (presigned) return fromQuery(head.query);
  return undefined;
}

function fromHeader(header: string, headers: Readonly<Record<string, string>>): SignatureClaim {
  const [algorithm = '', ...rest] = header.split(/[, ]/).filter(Boolean);
  const params = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq), part.slice(eq + 1));
  }
  let problems = '';
  for (const name of HEADER_PARAMS) {
    if (!params.get(name)) problems += `Authorization header requires '${name}' parameter. `;
  }
  const httpDate = headers['date'];
  const amzDate = headers['x-amz-date'] ?? (httpDate === undefined ? undefined : httpDateToAmz(httpDate));
  if (amzDate === undefined) {
    problems += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (problems) throw incompleteSignature(`${problems}Authorization=${header}`);
  return {
    source: 'header',
    algorithm,
    credential: parseCredential(params.get('Credential')!),
    signedHeaders: params.get('SignedHeaders')!.toLowerCase().split(';'),
    signature: params.get('Signature')!,
    amzDate: amzDate!,
  };
}

function fromQuery(query: URLSearchParams): SignatureClaim {
  let problems = '';
  for (const name of QUERY_PARAMS) {
    if (!query.get(name)) problems += `AWS query-string parameters must include '${name}'. `;
  }
  if (problems) throw incompleteSignature(`${problems}Re-examine the query-string parameters.`);
  const expires = query.get('X-Amz-Expires');
  const expiresSeconds = expires === null ? undefined : Number(expires);
  if (expiresSeconds !== undefined && !(Number.isInteger(expiresSeconds) && expiresSeconds >= 0)) {
    throw incompleteSignature(`X-Amz-Expires must be a whole number of seconds, got '${expires}'. Re-examine the query-string parameters.`);
  }
  return {
    source: 'query',
    algorithm: query.get('X-Amz-Algorithm')!,
    credential: parseCredential(query.get('X-Amz-Credential')!),
    signedHeaders: query.get('X-Amz-SignedHeaders')!.toLowerCase().split(';'),
    signature: query.get('X-Amz-Signature')!,
    amzDate: query.get('X-Amz-Date')!,
    ...(expiresSeconds === undefined ? {} : { expiresSeconds }),
  };
}

function parseCredential(credential: string): CredentialScope {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw incompleteSignature(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminator };
}

/**
 * Who may call the ingest target. Two policies behind one interface:
 * - no credentials configured: anyone. A signature is not checked, but one that is present must be well
 *   formed, because its credential scope names the region the call is for;
 * - credentials configured: real SigV4 verification against them, with AWS's errors and its 5-minute
 *   clock-skew window, so a producer's signing and clock handling are exercised before it meets AWS.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { RequestHead } from '../server/types.js';
import { parseAmzDate } from './amz-date.js';
import {
  badAmzDate,
  incompleteSignature,
  invalidSignature,
  missingAuthenticationToken,
  presignedUrlExpired,
  signatureExpired,
  signatureMismatch,
  signatureNotYetCurrent,
  unrecognizedClient,
} from './auth-errors.js';
import { readSignatureClaim, type SignatureClaim } from './signature-claim.js';
import { ALGORITHM, EMPTY_SHA256, UNSIGNED_PAYLOAD, canonicalRequest, sha256Hex, signature, signingKey, stringToSign } from './sigv4.js';

export interface Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface AuthOutcome {
  /** The region of the credential scope, else the target's default region. */
  readonly region: string;
  /** Absent when the caller sent no signature (allowed only without configured credentials). */
  readonly accessKeyId?: string;
}

export interface Authenticator {
  /** Whether signatures are verified (credentials configured). */
  readonly verifies: boolean;
  /**
   * Throws a ServiceError (AWS's `__type`) when the request may not proceed.
   * `signingName` is the service's SigV4 name (`kinesis`, `firehose`), checked against the credential scope.
   */
  authenticate(head: RequestHead, payload: Buffer, signingName: string): AuthOutcome;
}

export interface AuthenticatorOptions {
  /** Empty or absent: accept any caller. */
  credentials?: readonly Credential[];
  clock: Clock;
  defaultRegion: string;
}

/** AWS rejects requests signed more than 5 minutes before or after its own clock. */
const MAX_SKEW_MS = 5 * 60_000;

/** Payload hashes a client may declare instead of hashing the body (the body is then not covered). */
// Payload hashes that stand for "not covered by the signature". KVS producers (the C SDK, and our sink's
// 'streaming-literal' mode) send STREAMING-AWS4-HMAC-SHA256-PAYLOAD on PutMedia as a literal header value
// without chunk signatures, so it too signs the headers only.
const UNSIGNED_PAYLOAD_MARKERS = new Set([UNSIGNED_PAYLOAD, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD']);

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const credentials = options.credentials ?? [];
  if (credentials.length === 0) return acceptAnyCaller(options.defaultRegion);
  return verifySigV4(new Map(credentials.map((c) => [c.accessKeyId, c.secretAccessKey])), options.clock);
}

function acceptAnyCaller(defaultRegion: string): Authenticator {
  return {
    verifies: false,
    authenticate(head) {
      const claim = readSignatureClaim(head);
      if (claim === undefined) return { region: defaultRegion };
      return { region: claim.credential.region, accessKeyId: claim.credential.accessKeyId };
    },
  };
}

function verifySigV4(secrets: ReadonlyMap<string, string>, clock: Clock): Authenticator {
  return {
    verifies: true,
    authenticate(head, payload, signingName) {
      const claim = readSignatureClaim(head);
      if (claim === undefined) throw missingAuthenticationToken();
      if (claim.algorithm !== ALGORITHM) {
        throw incompleteSignature(`Unsupported AWS 'algorithm': '${claim.algorithm}'. Sign requests with ${ALGORITHM}.`);
      }
      const { credential } = claim;
      const secret = secrets.get(credential.accessKeyId);
      if (secret === undefined) throw unrecognizedClient();
      const signedAt = parseAmzDate(claim.amzDate);
      if (signedAt === undefined) throw badAmzDate(claim.amzDate);
      checkScope(claim, signingName);
      checkTime(claim, signedAt, clock.now());
      if (!claim.signedHeaders.includes('host') && !claim.signedHeaders.includes(':authority')) {
        throw invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
      }
      const canonical = canonicalRequest({
        method: head.method,
        path: head.path,
        query: head.query,
        headers: head.headers,
        signedHeaders: claim.signedHeaders,
        payloadHash: payloadHash(head, payload),
      });
      const scope = `${credential.date}/${credential.region}/${credential.service}/${credential.terminator}`;
      const toSign = stringToSign(claim.amzDate, scope, canonical);
      const expected = signature(signingKey(secret, credential.date, credential.region, credential.service), toSign);
      if (!sameHex(expected, claim.signature)) throw signatureMismatch(canonical, toSign);
      return { region: credential.region, accessKeyId: credential.accessKeyId };
    },
  };
}

function checkScope(claim: SignatureClaim, signingName: string): void {
  const { credential } = claim;
  if (credential.date !== claim.amzDate.slice(0, 8)) {
    throw invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: ` +
        `'${credential.date}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`,
    );
  }
  if (credential.service !== signingName) {
    throw invalidSignature(`Credential should be scoped to correct service: '${signingName}'. `);
  }
  if (credential.terminator !== 'aws4_request') {
    throw invalidSignature(`Credential should be scoped with a valid terminator: 'aws4_request', not '${credential.terminator}'. `);
  }
}

function checkTime(claim: SignatureClaim, signedAt: number, now: number): void {
  if (signedAt - now > MAX_SKEW_MS) throw signatureNotYetCurrent(claim.amzDate, now);
  if (claim.expiresSeconds !== undefined) {
    if (now > signedAt + claim.expiresSeconds * 1000) throw presignedUrlExpired(claim.amzDate, claim.expiresSeconds, now);
  } else if (now - signedAt > MAX_SKEW_MS) {
    throw signatureExpired(claim.amzDate, now);
  }
}

/**
 * What the canonical request ends with. A declared `x-amz-content-sha256` must be the body's real hash
 * (else the body was changed after signing), unless it is one of the markers saying the body is unsigned.
 */
function payloadHash(head: RequestHead, payload: Buffer): string {
  const declared = head.headers['x-amz-content-sha256'];
  if (declared !== undefined && UNSIGNED_PAYLOAD_MARKERS.has(declared)) return declared;
  const actual = payload.length === 0 ? EMPTY_SHA256 : sha256Hex(payload);
  if (declared !== undefined && declared !== actual) {
    throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return actual;
}

function sameHex(expected: string, given: string): boolean {
  if (given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(given, 'latin1'));
}

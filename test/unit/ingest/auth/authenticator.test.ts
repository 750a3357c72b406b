import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../../src/ingest/auth/authenticator.js';
import type { RequestHead } from '../../../../src/ingest/server/types.js';
import { signedBySdk } from './sdk-signed.js';

const SIGNED_AT = new Date('2026-11-25T12:00:00Z');
const clockAt = (iso: string) => ({ now: () => Date.parse(iso) });
const verifying = (now = '2026-11-25T12:00:00Z') =>
  createAuthenticator({ credentials: [{ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-1' }], clock: clockAt(now), defaultRegion: 'us-east-1' });
const permissive = () => createAuthenticator({ clock: clockAt('2026-11-25T12:00:00Z'), defaultRegion: 'ap-south-1' });

function head(headers: Record<string, string>, query = ''): RequestHead {
  return { method: 'POST', path: '/', query: new URLSearchParams(query), headers, httpVersion: '1.1' };
}

const noBody = Buffer.alloc(0);

function failure(run: () => unknown): { type: string; message: string } {
  try {
    run();
  } catch (err) {
    return { type: (err as { type: string }).type, message: (err as Error).message };
  }
  throw new Error('expected the call to throw');
}

describe('authentication with configured credentials', () => {
  it('accepts a request signed exactly 5 minutes ago and one signed 5 minutes ahead', async () => {
    const { head: h, body } = await signedBySdk({}, { date: SIGNED_AT });
    expect(verifying('2026-11-25T12:05:00Z').authenticate(h, body, 'kinesis').region).toBe('eu-west-1');
    expect(verifying('2026-11-25T11:55:00Z').authenticate(h, body, 'kinesis').region).toBe('eu-west-1');
  });

  it("rejects a request signed more than 5 minutes ago with AWS's 'Signature expired' text", async () => {
    const { head: h, body } = await signedBySdk({}, { date: SIGNED_AT });
    expect(failure(() => verifying('2026-11-25T12:05:01Z').authenticate(h, body, 'kinesis'))).toEqual({
      type: 'InvalidSignatureException',
      message: 'Signature expired: 20261125T120000Z is now earlier than 20261125T120001Z (20261125T120501Z - 5 min.)',
    });
  });

  it('rejects a request signed more than 5 minutes in the future', async () => {
    const { head: h, body } = await signedBySdk({}, { date: SIGNED_AT });
    expect(failure(() => verifying('2026-11-25T11:54:00Z').authenticate(h, body, 'kinesis'))).toEqual({
      type: 'InvalidSignatureException',
      message: 'Signature not yet current: 20261125T120000Z is still later than 20261125T115900Z (20261125T115400Z + 5 min.)',
    });
  });

  it('rejects an access key it does not know with UnrecognizedClientException', async () => {
    const { head: h, body } = await signedBySdk({});
    const other = { ...h, headers: { ...h.headers, authorization: h.headers['authorization']!.replace('AKIDTEST', 'AKIDOTHER') } };
    expect(failure(() => verifying().authenticate(other, body, 'kinesis'))).toEqual({
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('rejects a request without any signature with MissingAuthenticationTokenException', () => {
    expect(failure(() => verifying().authenticate(head({ host: 'x' }), noBody, 'kinesis'))).toEqual({
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  it('rejects a credential scope dated another day than the request', async () => {
    const { head: h, body } = await signedBySdk({});
    const moved = { ...h, headers: { ...h.headers, 'x-amz-date': '20261126T000000Z' } };
    expect(failure(() => verifying('2026-11-26T00:00:00Z').authenticate(moved, body, 'kinesis')).message).toBe(
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261125' != '20261126', from '20261126T000000Z'.",
    );
  });

  it('rejects an x-amz-date that is not in ISO 8601 basic format', async () => {
    const { head: h, body } = await signedBySdk({});
    const bad = { ...h, headers: { ...h.headers, 'x-amz-date': '2026-11-25T12:00:00Z' } };
    expect(failure(() => verifying().authenticate(bad, body, 'kinesis'))).toEqual({
      type: 'IncompleteSignatureException',
      message: "Date must be in ISO-8601 'basic format'. Got '2026-11-25T12:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    });
  });

  it('requires the host (or :authority) header to be signed', () => {
    const auth = 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20261125/us-east-1/kinesis/aws4_request, SignedHeaders=x-amz-date, Signature=00';
    const h = head({ authorization: auth, 'x-amz-date': '20261125T120000Z', host: 'x' });
    expect(failure(() => verifying().authenticate(h, noBody, 'kinesis')).message).toBe("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  });

  it('verifies an HTTP/2 request that signed the :authority pseudo-header', async () => {
    const { head: h, body } = await signedBySdk({ headers: { ':authority': '127.0.0.1:4567' } });
    expect(h.headers['authorization']).toContain('SignedHeaders=:authority;');
    expect(verifying().authenticate({ ...h, httpVersion: '2' }, body, 'kinesis').accessKeyId).toBe('AKIDTEST');
    const otherAuthority = { ...h, headers: { ...h.headers, ':authority': '127.0.0.1:4568' } };
    expect(failure(() => verifying().authenticate(otherAuthority, body, 'kinesis')).type).toBe('InvalidSignatureException');
  });
});

describe('malformed signatures (both modes)', () => {
  for (const [mode, make] of [['verifying', verifying], ['permissive', permissive]] as const) {
    it(`${mode}: lists every missing Authorization part, as AWS does`, () => {
      expect(failure(() => make().authenticate(head({ authorization: 'X' }), noBody, 'kinesis'))).toEqual({
        type: 'IncompleteSignatureException',
        message:
          "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
          "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either " +
          "a 'X-Amz-Date' or a 'Date' header. Authorization=X",
      });
    });

    it(`${mode}: rejects a credential that is not key/date/region/service/aws4_request`, () => {
      const h = head({ authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1, SignedHeaders=host, Signature=00', 'x-amz-date': '20261125T120000Z' });
      expect(failure(() => make().authenticate(h, noBody, 'kinesis'))).toEqual({
        type: 'IncompleteSignatureException',
        message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20261125/us-east-1'",
      });
    });

    it(`${mode}: rejects a signature in both the header and the query string`, () => {
      const h = head({ authorization: 'X' }, 'X-Amz-Algorithm=AWS4-HMAC-SHA256');
      expect(failure(() => make().authenticate(h, noBody, 'kinesis'))).toEqual({
        type: 'InvalidSignatureException',
        message: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
      });
    });

    it(`${mode}: lists the missing parameters of a presigned URL`, () => {
      const h = head({}, 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261125T120000Z');
      expect(failure(() => make().authenticate(h, noBody, 'kinesis')).message).toBe(
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. " +
          "AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.",
      );
    });
  }
});

describe('authentication without configured credentials', () => {
  it('accepts any signature and takes the region from its credential scope', async () => {
    const { head: h, body } = await signedBySdk({}, { secret: 'whatever', date: new Date('2020-01-01T00:00:00Z') });
    expect(permissive().authenticate(h, body, 'kinesis')).toEqual({ region: 'eu-west-1', accessKeyId: 'AKIDTEST' });
  });

  it('accepts an unsigned request in the default region', () => {
    expect(permissive().authenticate(head({ host: 'x' }), noBody, 'kinesis')).toEqual({ region: 'ap-south-1' });
  });

  it('reads the region of a presigned URL', async () => {
    const { head: h, body } = await signedBySdk({ body: '' }, { presign: true, secret: 'whatever' });
    expect(permissive().authenticate(h, body, 'kinesis').region).toBe('eu-west-1');
  });
});

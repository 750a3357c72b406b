import { describe, expect, it } from 'vitest';
import { canonicalPath, canonicalQuery, canonicalRequest, sha256Hex, signature, signingKey, stringToSign, uriEscape } from '../../../../src/ingest/auth/sigv4.js';
import { createAuthenticator } from '../../../../src/ingest/auth/authenticator.js';
import { signedBySdk } from './sdk-signed.js';

describe('SigV4 canonical request', () => {
  // The worked example of the AWS General Reference ("Signature Version 4 signing process": IAM ListUsers).
  const example = {
    method: 'GET',
    path: '/',
    query: new URLSearchParams('Action=ListUsers&Version=2010-05-08'),
    headers: {
      host: 'iam.amazonaws.com',
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': '20150830T123600Z',
    },
    signedHeaders: ['content-type', 'host', 'x-amz-date'],
    payloadHash: sha256Hex(''),
  };

  it('reproduces the AWS documentation example step by step', () => {
    const canonical = canonicalRequest(example);
    expect(canonical).toBe(
      'GET\n/\nAction=ListUsers&Version=2010-05-08\n' +
        'content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n' +
        'content-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(canonical)).toBe('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
    const key = signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam');
    expect(key.toString('hex')).toBe('c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
    const toSign = stringToSign('20150830T123600Z', '20150830/us-east-1/iam/aws4_request', canonical);
    expect(signature(key, toSign)).toBe('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
  });

  it('encodes the characters encodeURIComponent leaves alone', () => {
    expect(uriEscape("a!b'c(d)e*f g~h")).toBe('a%21b%27c%28d%29e%2Af%20g~h');
  });

  it('double-encodes path segments and resolves dot segments, keeping slashes', () => {
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath('/a/./b/../c/')).toBe('/a/c/');
    expect(canonicalPath('/my%20stream/x')).toBe('/my%2520stream/x');
    expect(canonicalPath('//a//b')).toBe('/a/b');
  });

  it('sorts the query by key before value and leaves out X-Amz-Signature', () => {
    const query = new URLSearchParams('b=2&a-b=3&a=z&a=y&X-Amz-Signature=abc&sp=x y');
    expect(canonicalQuery(query)).toBe('a=y&a=z&a-b=3&b=2&sp=x%20y');
  });
});

const at = (iso: string) => ({ now: () => Date.parse(iso) });
const verifier = (now = '2026-11-25T12:00:00Z') =>
  createAuthenticator({ credentials: [{ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-1' }], clock: at(now), defaultRegion: 'us-east-1' });

describe('SigV4 verification against the SDK signer', () => {
  const cases = {
    'a JSON POST': {},
    'a path with spaces, unicode and reserved characters': { path: "/some%20path/%C3%A9t%C3%A9/(x)!*'" },
    'a repeated query key and an encoded value': { query: { b: ['2', '1'], a: 'x y+z', 'key-with-dash': 'v' } },
    'header values with runs of spaces and tabs': { headers: { 'x-amz-meta': '  a   b \t c  ' } },
    'an empty body': { body: '' },
  };
  for (const [name, request] of Object.entries(cases)) {
    it(`accepts ${name}, reporting the credential scope's region`, async () => {
      const { head, body } = await signedBySdk(request);
      expect(verifier().authenticate(head, body, 'kinesis')).toEqual({ region: 'eu-west-1', accessKeyId: 'AKIDTEST' });
    });
  }

  it('accepts a presigned URL within its expiry and rejects it afterwards', async () => {
    const { head, body } = await signedBySdk({ body: '' }, { presign: true });
    expect(head.headers['authorization']).toBeUndefined();
    expect(verifier('2026-11-25T12:04:59Z').authenticate(head, body, 'kinesis').region).toBe('eu-west-1');
    expect(() => verifier('2026-11-25T12:05:01Z').authenticate(head, body, 'kinesis')).toThrow(/Signature expired: 20261125T120000Z \+ 300 s/);
  });

  it('rejects a body changed after signing when the client declared no payload hash', async () => {
    const { head, body } = await signedBySdk({ body: '{"StreamName":"a"}' }, { declarePayloadHash: false });
    expect(head.headers['x-amz-content-sha256']).toBeUndefined();
    expect(verifier().authenticate(head, body, 'kinesis').accessKeyId).toBe('AKIDTEST');
    expect(() => verifier().authenticate(head, Buffer.from('{"StreamName":"b"}'), 'kinesis')).toThrow(
      expect.objectContaining({ type: 'InvalidSignatureException', message: expect.stringMatching(/^The request signature we calculated does not match/) }),
    );
  });

  it('rejects a body that does not match its declared x-amz-content-sha256', async () => {
    const { head } = await signedBySdk({ body: '{}', headers: { 'x-amz-content-sha256': sha256Hex('{}') } });
    expect(() => verifier().authenticate(head, Buffer.from('{ }'), 'kinesis')).toThrow(
      expect.objectContaining({ type: 'InvalidSignatureException', message: expect.stringContaining("'x-amz-content-sha256'") }),
    );
  });

  it('accepts an UNSIGNED-PAYLOAD request whatever its body', async () => {
    const { head } = await signedBySdk({ body: '{}', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    expect(verifier().authenticate(head, Buffer.from('anything'), 'kinesis').accessKeyId).toBe('AKIDTEST');
  });

  it('rejects a signed header changed in transit, showing the canonical request it expected', async () => {
    const { head, body } = await signedBySdk({ headers: { 'x-amz-target': 'Kinesis_20131202.ListStreams' } });
    const tampered = { ...head, headers: { ...head.headers, 'x-amz-target': 'Kinesis_20131202.DeleteStream' } };
    expect(() => verifier().authenticate(tampered, body, 'kinesis')).toThrow(/should have been\n'POST\n\/\n\n[^']*x-amz-target:Kinesis_20131202.DeleteStream/);
  });

  it('rejects a signature made with another secret', async () => {
    const { head, body } = await signedBySdk({}, { secret: 'not-the-secret' });
    expect(() => verifier().authenticate(head, body, 'kinesis')).toThrow(expect.objectContaining({ type: 'InvalidSignatureException' }));
  });

  it('rejects a credential scoped to another service', async () => {
    const { head, body } = await signedBySdk({}, { service: 'firehose' });
    expect(() => verifier().authenticate(head, body, 'kinesis')).toThrow("Credential should be scoped to correct service: 'kinesis'. ");
  });
});

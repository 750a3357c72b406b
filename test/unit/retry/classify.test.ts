/**
 * One test per row of reference/kds.md §1.1 "Retry classification for our SDK", then the edges:
 * network errors, HTTP statuses, credentials, clock skew, our own record errors.
 */
import {
  AccessDeniedException,
  InvalidArgumentException,
  KMSAccessDeniedException,
  KMSDisabledException,
  KMSInvalidStateException,
  KMSNotFoundException,
  KMSOptInRequired,
  KMSThrottlingException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-kinesis';
import { ServiceUnavailableException } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/core/errors.js';
import { InvalidRecordError } from '../../../src/core/record-validation.js';
import { classifyError, classifyRecordErrorCode, isRetryable } from '../../../src/retry/classify.js';

const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const named = (name: string, fields: Record<string, unknown> = {}): Error => Object.assign(new Error(`${name} happened`), { name, ...fields });
const networkError = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:4567`), { code });

describe('classification table (kds.md §1.1)', () => {
  it('row 1: a per-record ProvisionedThroughputExceededException is throttled', () => {
    expect(classifyRecordErrorCode('ProvisionedThroughputExceededException')).toEqual({
      errorClass: 'throttled',
      code: 'ProvisionedThroughputExceededException',
      isTimeout: false,
      recognized: true,
    });
  });

  it('row 2: a per-record InternalFailure is transient', () => {
    expect(classifyRecordErrorCode('InternalFailure').errorClass).toBe('transient');
  });

  it('row 3: a request-level ProvisionedThroughputExceededException is throttled', () => {
    const error = new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', ...metadata(400) });
    expect(classifyError(error)).toMatchObject({ errorClass: 'throttled', code: 'ProvisionedThroughputExceededException' });
  });

  it('row 4: HTTP 500/502/503/504, TimeoutError and RequestTimeout(Exception) are transient; timeouts are flagged', () => {
    for (const status of [500, 502, 503, 504]) {
      expect(classifyError(named('UnknownError', metadata(status)))).toMatchObject({ errorClass: 'transient', code: `HTTP ${status}`, isTimeout: false });
    }
    for (const name of ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']) {
      expect(classifyError(named(name))).toMatchObject({ errorClass: 'transient', code: name, isTimeout: true });
    }
  });

  it('row 5: KMSThrottlingException is throttled, although the SDK does not retry it', () => {
    const error = new KMSThrottlingException({ message: 'KMS rate exceeded', ...metadata(400) });
    expect(classifyError(error)).toMatchObject({ errorClass: 'throttled', code: 'KMSThrottlingException' });
  });

  it('row 6: KMS access/disabled/state/not-found/opt-in, AccessDenied, ResourceNotFound, InvalidArgument and Validation need configuration', () => {
    const errors = [
      new KMSAccessDeniedException({ message: 'm', ...metadata(400) }),
      new KMSDisabledException({ message: 'm', ...metadata(400) }),
      new KMSInvalidStateException({ message: 'm', ...metadata(400) }),
      new KMSNotFoundException({ message: 'm', ...metadata(400) }),
      new KMSOptInRequired({ message: 'm', ...metadata(400) }),
      new AccessDeniedException({ message: 'm', ...metadata(400) }),
      new ResourceNotFoundException({ message: 'Stream x not found', ...metadata(400) }),
      new InvalidArgumentException({ message: 'm', ...metadata(400) }),
      new ValidationException({ message: 'm', ...metadata(400) }),
    ];
    for (const error of errors) {
      expect(classifyError(error)).toMatchObject({ errorClass: 'configuration', code: error.name, recognized: true });
    }
  });
});

describe('classifyError beyond the table', () => {
  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_SOCKET'])(
    'treats the Node network error %s as transient',
    (code) => {
      expect(classifyError(networkError(code))).toMatchObject({ errorClass: 'transient', code, isTimeout: code === 'ETIMEDOUT' });
    },
  );

  it('finds a network code wrapped as the cause of another error (fetch failed)', () => {
    const wrapped = new TypeError('fetch failed', { cause: networkError('ECONNRESET') });
    expect(classifyError(wrapped)).toMatchObject({ errorClass: 'transient', code: 'ECONNRESET' });
  });

  it('treats Firehose ServiceUnavailableException, request-level or per record, as throttled', () => {
    expect(classifyError(new ServiceUnavailableException({ message: 'Slow down.', ...metadata(503) })).errorClass).toBe('throttled');
    expect(classifyRecordErrorCode('ServiceUnavailableException').errorClass).toBe('throttled');
    expect(classifyRecordErrorCode('ServiceUnavailable').errorClass).toBe('throttled');
  });

  it('honours the SDK $retryable hint for names it does not know', () => {
    expect(classifyError(named('SomeNewThrottle', { $retryable: { throttling: true } })).errorClass).toBe('throttled');
    expect(classifyError(named('SomeNewFailure', { $retryable: {} })).errorClass).toBe('transient');
  });

  it('treats HTTP 429 as throttled, 408 as a transient timeout and any other 4xx as configuration', () => {
    expect(classifyError(named('Unknown', metadata(429))).errorClass).toBe('throttled');
    expect(classifyError(named('Unknown', metadata(408)))).toMatchObject({ errorClass: 'transient', isTimeout: true });
    expect(classifyError(named('Unknown', metadata(403)))).toMatchObject({ errorClass: 'configuration', code: 'HTTP 403' });
  });

  it('treats missing, wrong or expired credentials as configuration', () => {
    for (const name of ['CredentialsProviderError', 'UnrecognizedClientException', 'ExpiredTokenException', 'InvalidClientTokenId']) {
      expect(classifyError(named(name)).errorClass).toBe('configuration');
    }
  });

  it('treats a signature error as clock skew (transient) only when the message says the time is off', () => {
    const skew = named('InvalidSignatureException', { message: 'Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z' });
    const wrongKey = named('InvalidSignatureException', { message: 'The request signature we calculated does not match the signature you provided.' });
    expect(classifyError(skew).errorClass).toBe('transient');
    expect(classifyError(wrongKey).errorClass).toBe('configuration');
  });

  it('treats an untrusted or mismatched TLS certificate as configuration, and a not-yet-valid or expired one (a device clock before NTP) as transient', () => {
    const tls = (code: string) => Object.assign(new Error(`TLS: ${code}`), { code });
    for (const code of ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER']) {
      expect(classifyError(tls(code))).toMatchObject({ errorClass: 'configuration', code });
    }
    for (const code of ['CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED']) expect(classifyError(tls(code))).toMatchObject({ errorClass: 'transient', code });
  });

  it('marks a record that can never be delivered as fatal-record', () => {
    expect(classifyError(new InvalidRecordError('RECORD_TOO_LARGE', 'too large'))).toMatchObject({ errorClass: 'fatal-record', code: 'RECORD_TOO_LARGE' });
  });

  it('treats our own invalid options as configuration', () => {
    expect(classifyError(new InvalidInputError('AGGREGATION_OPTION_INVALID', 'bad'))).toMatchObject({ errorClass: 'configuration' });
  });

  it('falls back to transient, marked unrecognized, for errors and per-record codes it does not know', () => {
    expect(classifyError(new Error('something odd'))).toEqual({ errorClass: 'transient', code: 'Error', isTimeout: false, recognized: false });
    expect(classifyError('a thrown string')).toMatchObject({ errorClass: 'transient', recognized: false });
    expect(classifyError(undefined)).toMatchObject({ errorClass: 'transient', recognized: false });
    expect(classifyRecordErrorCode('BrandNewErrorCode')).toMatchObject({ errorClass: 'transient', code: 'BrandNewErrorCode', recognized: false });
  });

  it('says which classes a retry can fix', () => {
    expect(['throttled', 'transient', 'configuration', 'fatal-record'].map((c) => isRetryable(c as never))).toEqual([true, true, false, false]);
  });
});

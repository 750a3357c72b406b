/**
 * The authentication errors AWS JSON services return, with AWS's `__type` and (where we know it) its text,
 * so SDK code that branches on them, and people who search for them, find what they expect.
 */
import { ServiceError } from '../server/service-error.js';
import { isoBasic } from './amz-date.js';

export const missingAuthenticationToken = (): ServiceError =>
  new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token');

export const incompleteSignature = (message: string): ServiceError => new ServiceError('IncompleteSignatureException', message);

export const invalidSignature = (message: string): ServiceError => new ServiceError('InvalidSignatureException', message);

export const unrecognizedClient = (): ServiceError =>
  new ServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.');

export const signatureMismatch = (canonical: string, toSign: string): ServiceError =>
  invalidSignature(
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
      'and signing method. Consult the service documentation for details.\n\n' +
      `The Canonical String for this request should have been\n'${canonical}'\n\n` +
      `The String-to-Sign should have been\n'${toSign}'\n`,
  );

const FIVE_MINUTES_MS = 5 * 60_000;

export const signatureExpired = (amzDate: string, now: number): ServiceError =>
  invalidSignature(`Signature expired: ${amzDate} is now earlier than ${isoBasic(now - FIVE_MINUTES_MS)} (${isoBasic(now)} - 5 min.)`);

export const signatureNotYetCurrent = (amzDate: string, now: number): ServiceError =>
  invalidSignature(`Signature not yet current: ${amzDate} is still later than ${isoBasic(now + FIVE_MINUTES_MS)} (${isoBasic(now)} + 5 min.)`);

export const badAmzDate = (amzDate: string): ServiceError =>
  incompleteSignature(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);

export const presignedUrlExpired = (amzDate: string, expiresSeconds: number, now: number): ServiceError =>
  invalidSignature(`Signature expired: ${amzDate} + ${expiresSeconds} s is now earlier than ${isoBasic(now)}. Presign the request again.`);

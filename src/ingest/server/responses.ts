/** Response bodies in the shapes AWS front ends produce. */
import type { ServiceError } from './service-error.js';
import type { IngestResponse } from './types.js';

export const AMZ_JSON_1_1 = 'application/x-amz-json-1.1';

export function jsonResponse(status: number, body: unknown, contentType = AMZ_JSON_1_1): IngestResponse {
  return { status, headers: { 'Content-Type': contentType }, body: JSON.stringify(body) };
}

/** awsJson1_1 error: the SDK reads `__type` first, then `message`. */
export function jsonError(error: ServiceError): IngestResponse {
  return jsonResponse(error.status, { __type: error.type, message: error.message });
}

/** A bare `{"__type": ...}` as AWS sends for requests it cannot route (no message). */
export function jsonErrorType(status: number, type: string, message?: string): IngestResponse {
  return jsonResponse(status, message === undefined ? { __type: type } : { __type: type, message });
}

/** restJson1 error (Kinesis Video control plane): the SDK reads the `x-amzn-ErrorType` header first. */
export function restJsonError(error: ServiceError): IngestResponse {
  return {
    status: error.status,
    headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': error.type },
    body: JSON.stringify({ message: error.message }),
  };
}

/** What AWS's front end answers, as XML with no content type, to requests it cannot attribute to an operation. */
export function xmlError(status: number, type: string, message?: string): IngestResponse {
  const body = message === undefined ? `<${type}/>\n` : `<${type}>\n  <Message>${message}</Message>\n</${type}>\n`;
  return { status, headers: {}, body };
}

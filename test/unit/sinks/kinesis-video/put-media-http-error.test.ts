import { describe, expect, it } from 'vitest';
import { describeHttpFailure } from '../../../../src/sinks/kinesis-video/put-media-http-error.js';
import { formatProducerStartTimestamp, putMediaHeaders } from '../../../../src/sinks/kinesis-video/put-media-request.js';

describe('describeHttpFailure', () => {
  it('reads the error type from x-amzn-ErrorType without its Coral suffix, and the request id', () => {
    const f = describeHttpFailure(400, { 'x-amzn-errortype': 'ConnectionLimitExceededException:http://internal.amazon.com/coral/x/', 'x-amzn-requestid': 'r-1' }, '{"message":"limit"}', 3);
    expect(f).toMatchObject({ stop: false, endpointSuspect: false, streamSuspect: false, error: { code: 'KVS_PUT_MEDIA_HTTP_ERROR', awsError: 'ConnectionLimitExceededException' } });
    expect(f.error.message).toContain('request r-1');
    expect(f.error.message).toContain('limit');
  });

  it("reads the Coral body's __type when there is no header (the SerializationException users hit)", () => {
    const body = '{"Output":{"__type":"com.amazon.coral.service#SerializationException","Message":null},"Version":"1.0"}';
    expect(describeHttpFailure(400, {}, body, 1).error.awsError).toBe('SerializationException');
  });

  it('stops on AccessDeniedException and keeps retrying NotAuthorized/403 (expired token, clock skew)', () => {
    expect(describeHttpFailure(403, { 'x-amzn-errortype': 'AccessDeniedException' }, '{}', 1)).toMatchObject({ stop: true, error: { code: 'KVS_ACCESS_DENIED', retryable: false } });
    expect(describeHttpFailure(401, { 'x-amzn-errortype': 'NotAuthorizedException' }, '{}', 1)).toMatchObject({ stop: false, error: { code: 'KVS_ACCESS_DENIED', retryable: true } });
    const skew = describeHttpFailure(403, {}, '{"message":"Signature expired"}', 1);
    expect(skew.stop).toBe(false);
    expect(skew.error.message).toContain('clock');
  });

  it('re-describes the stream and asks for the endpoint again on 404, and asks for the endpoint on InvalidEndpoint and 5xx', () => {
    expect(describeHttpFailure(404, { 'x-amzn-errortype': 'ResourceNotFoundException' }, '{}', 1)).toMatchObject({ streamSuspect: true, endpointSuspect: true });
    expect(describeHttpFailure(400, { 'x-amzn-errortype': 'InvalidEndpointException' }, '{}', 1)).toMatchObject({ endpointSuspect: true });
    expect(describeHttpFailure(503, {}, 'Service Unavailable', 1)).toMatchObject({ endpointSuspect: true, stop: false });
  });
});

describe('PutMedia request headers', () => {
  it('formats x-amzn-producer-start-timestamp as epoch seconds with a zero-padded millisecond fraction', () => {
    expect(formatProducerStartTimestamp(1595833960058)).toBe('1595833960.058');
    expect(formatProducerStartTimestamp(1595833960258)).toBe('1595833960.258');
    expect(formatProducerStartTimestamp(1595833960000)).toBe('1595833960.000');
  });

  it('sends the stream name or the ARN, never both', () => {
    const byName = putMediaHeaders({ host: 'h', stream: { streamName: 'cam' }, producerStartMs: 0 });
    const byArn = putMediaHeaders({ host: 'h', stream: { streamArn: 'arn:aws:kinesisvideo:us-east-1:1:stream/cam/1' }, producerStartMs: 0 });
    expect(byName['x-amzn-stream-name']).toBe('cam');
    expect(byName['x-amzn-stream-arn']).toBeUndefined();
    expect(byArn['x-amzn-stream-arn']).toBe('arn:aws:kinesisvideo:us-east-1:1:stream/cam/1');
    expect(byArn['x-amzn-stream-name']).toBeUndefined();
    expect(byName).toMatchObject({ 'x-amzn-fragment-timecode-type': 'ABSOLUTE', 'x-amzn-fragment-acknowledgment-required': '1', 'transfer-encoding': 'chunked' });
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../../src/aws/credentials.js';
import { KinesisVideoControlPlane, createKinesisVideoClient, type ControlPlaneOptions } from '../../../../src/sinks/kinesis-video/control-plane.js';
import { KinesisVideoError } from '../../../../src/sinks/kinesis-video/errors.js';
import { FakeKvsControlPlane } from './helpers/fake-control-plane.js';
import { FakeTime } from './helpers/fake-time.js';

let fake: FakeKvsControlPlane;
let time: FakeTime;
const clients: Array<{ destroy(): void }> = [];

beforeEach(async () => {
  fake = new FakeKvsControlPlane();
  await fake.start();
  time = new FakeTime();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await fake.close();
});

function controlPlane(options: Partial<ControlPlaneOptions> = {}): KinesisVideoControlPlane {
  const client = createKinesisVideoClient({
    region: 'us-east-1',
    endpoint: fake.url,
    credentials: staticCredentials({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }),
    maxAttempts: 1,
  });
  clients.push(client);
  return new KinesisVideoControlPlane({ client, stream: { streamName: 'cam-1' }, clock: time.clock, sleep: time.sleep, ...options });
}

describe('KinesisVideoControlPlane', () => {
  it('describes an existing stream through the real SDK client, with its retention', async () => {
    fake.addStream('cam-1', 0);
    const description = await controlPlane().ensureStream();
    expect(description).toEqual({
      streamName: 'cam-1',
      streamArn: 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1736940000000',
      status: 'ACTIVE',
      dataRetentionInHours: 0,
      mediaType: 'video/h264',
    });
    expect(fake.callsTo('describeStream')[0]!.body).toEqual({ StreamName: 'cam-1' });
    expect(String(fake.callsTo('describeStream')[0]!.headers.authorization)).toContain('/us-east-1/kinesisvideo/aws4_request');
  });

  it('reports a missing stream with KVS_STREAM_NOT_FOUND (not retryable) when create is off, and creates nothing', async () => {
    const error = await controlPlane().ensureStream().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KinesisVideoError);
    expect(error).toMatchObject({ code: 'KVS_STREAM_NOT_FOUND', retryable: false, awsError: 'ResourceNotFoundException' });
    expect((error as Error).message).toContain('enable the sink');
    expect(fake.callsTo('createStream')).toHaveLength(0);
  });

  it('creates a missing stream with the retention and media type asked for, and waits while it is CREATING', async () => {
    fake.describesUntilActiveOnCreate = 2;
    const cp = controlPlane({ create: { dataRetentionInHours: 24, deviceName: 'pi-7', tags: { site: 'north' } }, activePollMs: 500 });
    const result = cp.ensureStream();
    // Two polls while CREATING, each after a 500 ms sleep on the injected clock.
    for (let i = 0; i < 2; i += 1) {
      while (time.pendingSleeps().length === 0) await new Promise((r) => setImmediate(r));
      await time.advance(500);
    }
    const description = await result;
    expect(description.status).toBe('ACTIVE');
    expect(fake.callsTo('createStream')[0]!.body).toEqual({ StreamName: 'cam-1', MediaType: 'video/h264', DataRetentionInHours: 24, DeviceName: 'pi-7', Tags: { site: 'north' } });
    expect(fake.callsTo('describeStream')).toHaveLength(4);
  });

  it('treats a CreateStream race (ResourceInUse) as success', async () => {
    fake.failNext('describeStream', { status: 404, errorType: 'ResourceNotFoundException', message: 'not found' });
    fake.addStream('cam-1');
    fake.failNext('createStream', { status: 400, errorType: 'ResourceInUseException', message: 'in use' });
    const description = await controlPlane({ create: { dataRetentionInHours: 2 } }).ensureStream();
    expect(description.status).toBe('ACTIVE');
  });

  it('reports access denied with KVS_ACCESS_DENIED (not retryable) and says which permission to grant', async () => {
    fake.failNext('describeStream', { status: 403, errorType: 'AccessDeniedException', message: 'User: arn:aws:iam::1:user/x is not authorized to perform: kinesisvideo:DescribeStream' });
    const error = await controlPlane().ensureStream().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KVS_ACCESS_DENIED', retryable: false });
    expect((error as Error).message).toContain('kinesisvideo:DescribeStream');
  });

  it('reports NotAuthorized (an expired token) as retryable KVS_ACCESS_DENIED', async () => {
    fake.failNext('describeStream', { status: 401, errorType: 'NotAuthorizedException', message: 'token expired' });
    await expect(controlPlane().ensureStream()).rejects.toMatchObject({ code: 'KVS_ACCESS_DENIED', retryable: true });
  });

  it('reports a stream being deleted with KVS_STREAM_NOT_ACTIVE', async () => {
    fake.addStream('cam-1', 24, 'DELETING');
    await expect(controlPlane().ensureStream()).rejects.toMatchObject({ code: 'KVS_STREAM_NOT_ACTIVE', retryable: false });
  });

  it('reports server failures as retryable KVS_CONTROL_PLANE_FAILED', async () => {
    fake.failNext('describeStream', { status: 500, errorType: 'InternalFailure', message: 'boom' });
    await expect(controlPlane().ensureStream()).rejects.toMatchObject({ code: 'KVS_CONTROL_PLANE_FAILED', retryable: true });
  });

  it('asks GetDataEndpoint for PUT_MEDIA once, reuses it until the TTL, and again after invalidation', async () => {
    fake.addStream('cam-1');
    fake.dataEndpoint = 'https://s-1234abcd.kinesisvideo.us-east-1.amazonaws.com';
    const cp = controlPlane({ endpointTtlMs: 40 * 60_000 });
    expect(await cp.putMediaEndpoint()).toBe('https://s-1234abcd.kinesisvideo.us-east-1.amazonaws.com');
    await cp.putMediaEndpoint();
    expect(fake.callsTo('getDataEndpoint')).toHaveLength(1);
    expect(fake.callsTo('getDataEndpoint')[0]!.body).toEqual({ StreamName: 'cam-1', APIName: 'PUT_MEDIA' });
    await time.advance(40 * 60_000);
    await cp.putMediaEndpoint();
    expect(fake.callsTo('getDataEndpoint')).toHaveLength(2);
    cp.invalidateEndpoint();
    await cp.putMediaEndpoint();
    expect(fake.callsTo('getDataEndpoint')).toHaveLength(3);
  });

  it('uses StreamARN in requests when the stream is given by ARN, and refuses to create from an ARN', async () => {
    const arn = 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-9/1';
    const cp = controlPlane({ stream: { streamArn: arn }, create: { dataRetentionInHours: 1 } });
    await expect(cp.ensureStream()).rejects.toMatchObject({ code: 'KVS_STREAM_NOT_FOUND', retryable: false });
    expect(fake.callsTo('describeStream')[0]!.body).toEqual({ StreamARN: arn });
  });
});

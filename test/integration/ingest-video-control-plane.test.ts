/**
 * The Kinesis Video control plane of `kedge ingest` with the unmodified @aws-sdk/client-kinesis-video:
 * a full round trip, paging and filters, and AWS's error shapes (the SDK's exception classes, which it
 * picks from the `x-amzn-ErrorType` header, and the status codes its model gives them).
 */
import {
  ClientLimitExceededException,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  InvalidArgumentException,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  TagsPerResourceExceededLimitException,
  TagStreamCommand,
  UntagStreamCommand,
  UpdateDataRetentionCommand,
  UpdateStreamCommand,
  VersionMismatchException,
} from '@aws-sdk/client-kinesis-video';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { http1Request, TEST_CREDENTIALS } from '../helpers/target.js';
import { startVideoTarget, type VideoTarget } from '../unit/ingest/video/helpers/video-target.js';

let target: VideoTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

/** The SDK error a call rejects with. */
async function failure(p: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('the call succeeded');
}

describe('Kinesis Video control plane', () => {
  it('creates, describes, lists, tags, updates and deletes a stream with the unmodified SDK client', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 8));
    target = await startVideoTarget({ memory: true, clock, region: 'eu-west-1', accountId: '123456789012' });
    const { kvs } = target;
    const created = await kvs.send(new CreateStreamCommand({ StreamName: 'front-door', MediaType: 'video/h264', DataRetentionInHours: 24, DeviceName: 'pi-4', Tags: { site: 'lab' } }));
    // The SDK signs for us-east-1 (TEST_REGION): the ARN names the region the call was for.
    expect(created.StreamARN).toBe(`arn:aws:kinesisvideo:us-east-1:123456789012:stream/front-door/${clock.now()}`);
    const { StreamInfo: info } = await kvs.send(new DescribeStreamCommand({ StreamName: 'front-door' }));
    expect(info).toMatchObject({ StreamName: 'front-door', StreamARN: created.StreamARN, MediaType: 'video/h264', DeviceName: 'pi-4', Status: 'ACTIVE', DataRetentionInHours: 24 });
    expect(info!.CreationTime).toEqual(new Date(clock.now()));
    expect(info!.Version).toMatch(/^[A-Za-z0-9]{20}$/);
    expect((await kvs.send(new DescribeStreamCommand({ StreamARN: created.StreamARN }))).StreamInfo!.StreamName).toBe('front-door');

    await kvs.send(new TagStreamCommand({ StreamARN: created.StreamARN, Tags: { owner: 'ops', site: 'yard' } }));
    await kvs.send(new UntagStreamCommand({ StreamName: 'front-door', TagKeyList: ['owner'] }));
    expect((await kvs.send(new ListTagsForStreamCommand({ StreamName: 'front-door' }))).Tags).toEqual({ site: 'yard' });

    await kvs.send(new UpdateDataRetentionCommand({ StreamName: 'front-door', CurrentVersion: info!.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 48 }));
    const after = (await kvs.send(new DescribeStreamCommand({ StreamName: 'front-door' }))).StreamInfo!;
    expect(after.DataRetentionInHours).toBe(72);
    expect(after.Version).not.toBe(info!.Version);
    await kvs.send(new UpdateStreamCommand({ StreamName: 'front-door', CurrentVersion: after.Version, MediaType: 'video/h265' }));
    const updated = (await kvs.send(new DescribeStreamCommand({ StreamName: 'front-door' }))).StreamInfo!;
    expect(updated.MediaType).toBe('video/h265');

    expect((await kvs.send(new ListStreamsCommand({}))).StreamInfoList!.map((s) => s.StreamName)).toEqual(['front-door']);
    await kvs.send(new DeleteStreamCommand({ StreamARN: created.StreamARN, CurrentVersion: updated.Version }));
    expect((await kvs.send(new ListStreamsCommand({}))).StreamInfoList).toEqual([]);
    expect(await failure(kvs.send(new DescribeStreamCommand({ StreamName: 'front-door' })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('pages ListStreams with NextToken and filters names with BEGINS_WITH', async () => {
    target = await startVideoTarget({ memory: true });
    const names = ['cam-a', 'cam-b', 'cam-c', 'door-1', 'door-2'];
    for (const n of names) await target.kvs.send(new CreateStreamCommand({ StreamName: n }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await target.kvs.send(new ListStreamsCommand({ MaxResults: 2, NextToken: token }));
      expect(page.StreamInfoList!.length).toBeLessThanOrEqual(2);
      seen.push(...page.StreamInfoList!.map((s) => s.StreamName!));
      token = page.NextToken;
    } while (token !== undefined);
    expect(seen).toEqual(names);
    const doors = await target.kvs.send(new ListStreamsCommand({ StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'door' } }));
    expect(doors.StreamInfoList!.map((s) => s.StreamName)).toEqual(['door-1', 'door-2']);
  });

  it("GetDataEndpoint answers with the target's own URL for every API, so the media clients connect back to it", async () => {
    target = await startVideoTarget({ memory: true });
    await target.kvs.send(new CreateStreamCommand({ StreamName: 'cam' }));
    for (const api of ['PUT_MEDIA', 'GET_MEDIA', 'LIST_FRAGMENTS', 'GET_MEDIA_FOR_FRAGMENT_LIST', 'GET_HLS_STREAMING_SESSION_URL'] as const) {
      expect(await target.endpoint('cam', api)).toBe(target.url);
    }
    expect(await failure(target.kvs.send(new GetDataEndpointCommand({ StreamName: 'cam', APIName: 'NOT_AN_API' as 'PUT_MEDIA' })))).toBeInstanceOf(InvalidArgumentException);
    expect(await failure(target.kvs.send(new GetDataEndpointCommand({ StreamName: 'nope', APIName: 'PUT_MEDIA' })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it("answers with AWS's error classes and statuses: not found 404, in use, invalid argument, version mismatch, too many tags (400)", async () => {
    target = await startVideoTarget({ memory: true });
    const { kvs } = target;
    await kvs.send(new CreateStreamCommand({ StreamName: 'cam', Tags: { a: '1' } }));
    const version = (await kvs.send(new DescribeStreamCommand({ StreamName: 'cam' }))).StreamInfo!;
    const cases: [() => Promise<unknown>, new (...args: never[]) => Error, number][] = [
      [() => kvs.send(new DescribeStreamCommand({ StreamName: 'missing' })), ResourceNotFoundException, 404],
      [() => kvs.send(new DescribeStreamCommand({ StreamARN: 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/cam/1' })), ResourceNotFoundException, 404],
      [() => kvs.send(new CreateStreamCommand({ StreamName: 'cam' })), ResourceInUseException, 400],
      [() => kvs.send(new CreateStreamCommand({ StreamName: 'bad name!' })), InvalidArgumentException, 400],
      [() => kvs.send(new CreateStreamCommand({ StreamName: 'x', DataRetentionInHours: -1 })), InvalidArgumentException, 400],
      [() => kvs.send(new DescribeStreamCommand({})), InvalidArgumentException, 400],
      [() => kvs.send(new UpdateDataRetentionCommand({ StreamName: 'cam', CurrentVersion: 'stale', Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 })), VersionMismatchException, 400],
      [() => kvs.send(new UpdateDataRetentionCommand({ StreamName: 'cam', CurrentVersion: version.Version, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 })), InvalidArgumentException, 400],
      [() => kvs.send(new DeleteStreamCommand({ StreamARN: version.StreamARN, CurrentVersion: 'stale' })), VersionMismatchException, 400],
      [() => kvs.send(new TagStreamCommand({ StreamName: 'cam', Tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) })), TagsPerResourceExceededLimitException, 400],
    ];
    for (const [call, type, status] of cases) {
      const err = await failure(call());
      expect(err).toBeInstanceOf(type);
      expect(err.$metadata.httpStatusCode).toBe(status);
      expect(err.message.length).toBeGreaterThan(10);
    }
  });

  it('puts the error type in x-amzn-ErrorType and the text in the body, as restJson1 clients read them', async () => {
    target = await startVideoTarget({ memory: true });
    const res = await http1Request(target.url, { path: '/describeStream', headers: { 'content-type': 'application/json' }, body: '{"StreamName":"missing"}' });
    expect(res.status).toBe(404);
    expect(res.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(res.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(res.body.toString())).toEqual({ message: 'The requested stream is not found or not active.' });
    const bad = await http1Request(target.url, { path: '/createStream', headers: { 'content-type': 'application/json' }, body: '{"StreamName": 5}' });
    expect(bad.headers['x-amzn-errortype']).toBe('InvalidArgumentException');
  });

  it('throttles a stream past 5 DescribeStream calls in one second with ClientLimitExceededException, and lets it through the next second', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1, 8));
    target = await startVideoTarget({ memory: true, clock });
    const kvs = target.kvs;
    await kvs.send(new CreateStreamCommand({ StreamName: 'cam' }));
    for (let i = 0; i < 5; i++) await kvs.send(new DescribeStreamCommand({ StreamName: 'cam' }));
    const err = await failure(kvs.send(new DescribeStreamCommand({ StreamName: 'cam' })));
    expect(err).toBeInstanceOf(ClientLimitExceededException);
    clock.advance(1000);
    await kvs.send(new DescribeStreamCommand({ StreamName: 'cam' }));
  });

  it('with auth on, refuses calls signed with a wrong secret or not signed at all', async () => {
    target = await startVideoTarget({ memory: true, auth: [TEST_CREDENTIALS] });
    await target.kvs.send(new CreateStreamCommand({ StreamName: 'cam' }));
    const { KinesisVideoClient } = await import('@aws-sdk/client-kinesis-video');
    const wrong = new KinesisVideoClient({ endpoint: target.url, region: 'us-east-1', credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    try {
      const err = await failure(wrong.send(new DescribeStreamCommand({ StreamName: 'cam' })));
      expect(err.name).toBe('InvalidSignatureException');
    } finally {
      wrong.destroy();
    }
    const unsigned = await http1Request(target.url, { path: '/describeStream', headers: { 'content-type': 'application/json' }, body: '{"StreamName":"cam"}' });
    expect(unsigned.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
  });
});

/**
 * PutMedia against the real target over HTTP/1.1 chunked: ACKs stream back while the upload is open, the
 * kedge PutMedia client (signed request builder and ACK parser) works with it, headers and signatures are
 * refused as AWS refuses them, one upload per stream, ERROR ACKs over the wire, and bad bodies never hurt
 * the server.
 */
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand } from '@aws-sdk/client-kinesis-video';
import { afterEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/aws/credentials.js';
import { AckParser, type Ack as ParsedAck } from '../../src/sinks/kinesis-video/ack-parser.js';
import { openPutMediaRequest } from '../../src/sinks/kinesis-video/put-media-request.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { TEST_CREDENTIALS } from '../helpers/target.js';
import { fakeStream, fragment, streamHeader } from '../unit/ingest/video/helpers/mkv-parts.js';
import { connect, eventsByTimecode, hasError, openPutMedia, persistedCount, type PutMediaConnection } from '../unit/ingest/video/helpers/put-media-client.js';
import { startVideoTarget, type VideoTarget } from '../unit/ingest/video/helpers/video-target.js';

const T0 = Date.UTC(2026, 10, 20, 10);
let target: VideoTarget | undefined;
const connections: PutMediaConnection[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.destroy();
  await target?.close();
  target = undefined;
});

async function withStream(options: Parameters<typeof startVideoTarget>[0] = {}, retention = 24): Promise<{ endpoint: string; arn: string }> {
  target = await startVideoTarget({ memory: true, ...options });
  const { StreamARN } = await target.kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: retention }));
  return { endpoint: await target.endpoint('cam', 'PUT_MEDIA'), arn: StreamARN! };
}

function upload(endpoint: string, headers: Parameters<typeof openPutMedia>[1] = {}): PutMediaConnection {
  const c = openPutMedia(endpoint, { streamName: 'cam', timecodeType: 'ABSOLUTE', producerStartTimestamp: (T0 / 1000).toFixed(3), ...headers });
  connections.push(c);
  return c;
}

describe('PutMedia over HTTP', () => {
  it('answers 200 at once and acknowledges each fragment BUFFERING, RECEIVED, PERSISTED while the chunked upload is still open', async () => {
    const { endpoint } = await withStream();
    const { header, fragments, timecodes } = fakeStream(T0, 3);
    const c = upload(endpoint);
    await c.write(header);
    expect((await c.response).status).toBe(200);
    // Each fragment is confirmed before the next is sent: ACKs flow during the upload.
    for (let i = 0; i < fragments.length; i++) {
      await c.write(fragments[i]!);
      if (i > 0) await c.until(persistedCount(i));
    }
    c.end();
    await c.ended;
    const events = eventsByTimecode(c.acks);
    for (const tc of timecodes) expect(events.get(tc)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    const numbers = c.acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber!);
    expect(numbers.every((n) => /^\d{47}$/.test(n))).toBe(true);
    expect([...numbers].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(numbers);
    expect((await c.response).headers['transfer-encoding']).toBe('chunked');
  });

  it("accepts the kedge PutMedia client's signed request with auth on, and its ACK parser reads every ACK, fragment numbers kept exact", async () => {
    const { endpoint } = await withStream({ auth: [TEST_CREDENTIALS] });
    const { request } = await openPutMediaRequest({
      endpoint,
      stream: { streamName: 'cam' },
      region: 'us-east-1',
      credentials: staticCredentials(TEST_CREDENTIALS),
      nowMs: Date.now(),
      producerStartMs: T0,
    });
    const raw: Buffer[] = [];
    request.on('response', (res) => res.on('data', (c: Buffer) => raw.push(c)));
    const c = connect(request);
    connections.push(c);
    const { header, fragments } = fakeStream(T0, 2);
    for (const part of [header, ...fragments]) await c.write(part);
    c.end();
    await c.ended;
    expect((await c.response).status).toBe(200);
    const parser = new AckParser();
    const parsed = [...parser.feed(Buffer.concat(raw)), ...parser.end()] as ParsedAck[];
    expect(parsed.map((a) => a.type)).toEqual(c.acks.map((a) => a.EventType));
    expect(parsed.filter((a) => a.type === 'PERSISTED')).toHaveLength(2);
    for (const [i, a] of parsed.entries()) if (a.type !== 'IDLE' && a.type !== 'ERROR') expect(a.fragmentNumber).toBe(c.acks[i]!.FragmentNumber);
  });

  it('refuses bad headers before reading the body, with the error type in x-amzn-ErrorType', async () => {
    const { endpoint, arn } = await withStream();
    const cases: [Parameters<typeof openPutMedia>[1], number, string][] = [
      [{ streamName: undefined }, 400, 'InvalidArgumentException'],
      [{ streamArn: arn }, 400, 'InvalidArgumentException'], // name and ARN both
      [{ streamName: 'missing' }, 404, 'ResourceNotFoundException'],
      [{ timecodeType: undefined }, 400, 'InvalidArgumentException'],
      [{ timecodeType: 'SOMETIMES' }, 400, 'InvalidArgumentException'],
      [{ producerStartTimestamp: undefined }, 400, 'InvalidArgumentException'],
      [{ producerStartTimestamp: 'yesterday' }, 400, 'InvalidArgumentException'],
    ];
    for (const [headers, status, type] of cases) {
      const c = upload(endpoint, headers);
      await c.write(streamHeader());
      const res = await c.response;
      expect([res.status, res.headers['x-amzn-errortype']]).toEqual([status, type]);
      expect(JSON.parse(await c.errorBody).message.length).toBeGreaterThan(10);
    }
    // By ARN alone it is accepted.
    const byArn = upload(endpoint, { streamName: undefined, streamArn: arn });
    await byArn.write(streamHeader());
    expect((await byArn.response).status).toBe(200);
  });

  it('with auth on, refuses an unsigned upload and one signed with a wrong secret, and never starts a session for them', async () => {
    const { endpoint } = await withStream({ auth: [TEST_CREDENTIALS] });
    const unsigned = upload(endpoint);
    await unsigned.write(streamHeader());
    expect((await unsigned.response).headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    const { request } = await openPutMediaRequest({
      endpoint,
      stream: { streamName: 'cam' },
      region: 'us-east-1',
      credentials: staticCredentials({ ...TEST_CREDENTIALS, secretAccessKey: 'wrong' }),
      nowMs: Date.now(),
      producerStartMs: T0,
    });
    const wrong = connect(request);
    connections.push(wrong);
    await wrong.write(streamHeader());
    const res = await wrong.response;
    expect([res.status, res.headers['x-amzn-errortype']]).toEqual([400, 'InvalidSignatureException']);
    // No session was left holding the stream: a correctly signed upload is accepted.
    const { request: good } = await openPutMediaRequest({ endpoint, stream: { streamName: 'cam' }, region: 'us-east-1', credentials: staticCredentials(TEST_CREDENTIALS), nowMs: Date.now(), producerStartMs: T0 });
    const ok = connect(good);
    connections.push(ok);
    await ok.write(streamHeader());
    expect((await ok.response).status).toBe(200);
  });

  it('allows one upload per stream: a second gets ConnectionLimitExceededException while the first is open, and is accepted after it ends', async () => {
    const { endpoint } = await withStream();
    const first = upload(endpoint);
    await first.write(streamHeader());
    expect((await first.response).status).toBe(200);
    const second = upload(endpoint);
    await second.write(streamHeader());
    expect((await second.response).headers['x-amzn-errortype']).toBe('ConnectionLimitExceededException');
    first.end();
    await first.ended;
    const third = upload(endpoint);
    await third.write(streamHeader());
    expect((await third.response).status).toBe(200);
  });

  it('sends an ERROR ACK for invalid MKV, then ends the response and closes the connection', async () => {
    const { endpoint } = await withStream();
    const c = upload(endpoint);
    await c.write(Buffer.concat([streamHeader(), fragment(T0)]));
    await c.until((acks) => acks.some((a) => a.EventType === 'BUFFERING'));
    await c.write(Buffer.from([0x00, 0x00, 0x00, 0x00]));
    await c.ended;
    expect(c.acks.at(-1)).toMatchObject({ EventType: 'ERROR', ErrorId: 4006, ErrorCode: 'INVALID_MKV_DATA', FragmentTimecode: T0 });
    expect((await c.response).headers.connection).toBe('close');
  });

  it("sends ERROR 4003 once the connection has been open 45 minutes by the target's clock", async () => {
    const clock = new ManualClock(T0);
    const { endpoint } = await withStream({ clock });
    const c = upload(endpoint);
    const { header, fragments } = fakeStream(T0, 3);
    await c.write(Buffer.concat([header, fragments[0]!, fragments[1]!]));
    await c.until(persistedCount(1));
    clock.advance(45 * 60_000);
    await c.write(fragments[2]!);
    await c.until(hasError);
    expect(c.acks.find((a) => a.EventType === 'ERROR')).toMatchObject({ ErrorId: 4003, ErrorCode: 'MAX_CONNECTION_DURATION_REACHED', FragmentTimecode: T0 + 1000 });
  });

  it('sends ERROR 4507 STREAM_DELETED to an upload whose stream is deleted', async () => {
    const { endpoint, arn } = await withStream();
    const c = upload(endpoint);
    await c.write(Buffer.concat([streamHeader(), fragment(T0)]));
    await c.until((acks) => acks.some((a) => a.EventType === 'BUFFERING'));
    await target!.kvs.send(new DeleteStreamCommand({ StreamARN: arn }));
    await c.until(hasError);
    expect(c.acks.find((a) => a.EventType === 'ERROR')).toMatchObject({ ErrorId: 4507, ErrorCode: 'STREAM_DELETED' });
  });

  it('sends RECEIVED but no PERSISTED on a stream without retention', async () => {
    const { endpoint } = await withStream({}, 0);
    const c = upload(endpoint);
    const { header, fragments, timecodes } = fakeStream(T0, 2);
    for (const part of [header, ...fragments]) await c.write(part);
    c.end();
    await c.ended;
    for (const tc of timecodes) expect(eventsByTimecode(c.acks).get(tc)).toEqual(['BUFFERING', 'RECEIVED']);
  });

  it('keeps serving after uploads of garbage, truncated MKV and clients that vanish mid-fragment', async () => {
    const { endpoint } = await withStream();
    const garbage = upload(endpoint);
    await garbage.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'.repeat(50)));
    await garbage.ended;
    expect(garbage.acks).toEqual([{ EventType: 'ERROR', ErrorCode: 'INVALID_MKV_DATA', ErrorId: 4006 }]);
    const truncated = upload(endpoint);
    const f = fragment(T0);
    await truncated.write(Buffer.concat([streamHeader(), f.subarray(0, f.length - 7)]));
    truncated.end();
    await truncated.ended;
    expect(truncated.acks.at(-1)).toMatchObject({ EventType: 'ERROR', ErrorId: 4006 });
    const vanishing = upload(endpoint);
    await vanishing.write(Buffer.concat([streamHeader(), f.subarray(0, 100)]));
    await vanishing.until((acks) => acks.length > 0);
    vanishing.destroy();
    await vanishing.ended;
    // The stream is free again (the vanished session let go of it) and the target answers.
    const next = upload(endpoint);
    await next.write(Buffer.concat([streamHeader(), fragment(T0 + 1000)]));
    next.end();
    await next.ended;
    expect(next.acks.map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    expect((await target!.kvs.send(new DescribeStreamCommand({ StreamName: 'cam' }))).StreamInfo!.Status).toBe('ACTIVE');
  });
});

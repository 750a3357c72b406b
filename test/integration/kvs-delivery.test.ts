/**
 * The Kinesis Video sink end to end against real local HTTP servers: the SDK control-plane client talks to
 * a restJson1 fake, PutMedia goes over real HTTP/1.1 chunked to a fake that parses the MKV body and streams
 * ACKs like the service. Time is fake (backoffs, watchdog), the store is real files.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../unit/sinks/kinesis-video/helpers/harness.js';
import { tcOf } from '../unit/sinks/kinesis-video/helpers/test-media.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => tcOf(from + i));

describe('Kinesis Video delivery', () => {
  it('delivers every fragment in order on one connection behind a stream header, freeing each on PERSISTED', async () => {
    h = await Harness.start();
    await h.header();
    await h.append(0, 5);
    await h.freed(5);
    const [conn] = h.server.connections;
    expect(h.server.connections).toHaveLength(1);
    expect(conn!.startedWithHeader).toBe(true);
    expect(conn!.clusters).toEqual(range(0, 5));
    // Known-size clusters end by themselves: no end-of-fragment marker is needed.
    expect(conn!.tagsElements).toBe(0);
    expect(conn!.headers['x-amzn-stream-name']).toBe('cam-1');
    expect(conn!.headers['x-amzn-fragment-timecode-type']).toBe('ABSOLUTE');
    expect(conn!.headers['x-amzn-producer-start-timestamp']).toBe(`${tcOf(0) / 1000}.000`);
    expect(h.sink.stats().store).toMatchObject({ fragments: 0, freed: { persisted: 5, received: 0, skipped: 0 } });
    // ACK events name the fragment, and FragmentNumber stays a decimal string.
    const persisted = h.events.of('ack').filter((e) => e.ack.type === 'PERSISTED');
    expect(persisted.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(persisted.every((e) => e.ack.type === 'PERSISTED' && /^\d{47}$/.test(e.ack.fragmentNumber ?? ''))).toBe(true);
  });

  it('reconnects after the server drops the connection mid-fragment and replays from the first unconfirmed fragment with a fresh header', async () => {
    h = await Harness.start({ server: { onCluster: (c) => (c.connection === 1 && c.timecode === tcOf(2) ? { kind: 'drop-mid-cluster' } : { kind: 'ack' }) } });
    await h.header();
    await h.append(0, 5);
    const failed = await h.events.next('session-ended', (e) => e.connectionId === 1);
    expect(failed.reason).toBe('failed');
    const unconfirmedAtDrop = h.sink.stats().store.fragments;
    await h.passBackoff(1);
    await h.freed(5);
    const [first, second] = h.server.connections;
    expect(h.server.connections).toHaveLength(2);
    expect(second!.startedWithHeader).toBe(true);
    // The second connection starts exactly where confirmation stopped and sends the rest in order.
    expect(second!.clusters).toEqual(range(5 - unconfirmedAtDrop, 5));
    expect(second!.clusters[0]).toBeLessThanOrEqual(tcOf(2));
    expect(first!.confirmed).toEqual(range(0, 5 - unconfirmedAtDrop));
    expect(h.sink.stats().store.freed).toEqual({ persisted: 5, received: 0, skipped: 0 });
    expect(h.server.maxConcurrent).toBe(1);
  });

  it('keeps recording while PutMedia is refused, backs off with growing jittered delays, asks for the endpoint again, and uploads the backlog when the server returns', async () => {
    h = await Harness.start({ serverDown: true });
    await h.header();
    await h.append(0, 3);
    const delays: number[] = [];
    for (let n = 1; n <= 4; n += 1) {
      delays.push(await h.passBackoff(n));
      if (n === 2) await h.append(3, 3);
    }
    const retries = h.events.of('retrying').slice(0, 4);
    expect(retries.map((r) => r.attempt)).toEqual([0, 1, 2, 3]);
    expect(retries.every((r) => r.error.code === 'KVS_PUT_MEDIA_CONNECTION_FAILED')).toBe(true);
    // Full jitter: each delay is below its ceiling 500 ms * 2^attempt.
    delays.forEach((d, i) => expect(d).toBeLessThan(500 * 2 ** i));
    // Connection errors drop the cached data endpoint.
    expect(h.controlPlane.callsTo('getDataEndpoint').length).toBeGreaterThanOrEqual(4);
    await h.events.next('retrying', () => true, 5);
    await h.server.start();
    await h.passBackoff(5);
    await h.freed(6);
    expect(h.server.connections.flatMap((c) => c.clusters)).toEqual(range(0, 6));
    expect(h.sink.stats().store.evicted.fragments).toBe(0);
  });

  it('closes an unknown-size cluster with an end-of-fragment marker when it has nothing else to send, so it is confirmed on the open connection', async () => {
    h = await Harness.start();
    await h.header();
    await h.append(0, 1, 2000, true);
    await h.freed(1);
    await h.append(1, 1, 2000, true);
    await h.freed(2);
    const [conn] = h.server.connections;
    expect(h.server.connections).toHaveLength(1);
    expect(conn!.open).toBe(true);
    expect(conn!.clusters).toEqual(range(0, 2));
    expect(conn!.tagsElements).toBe(2);
  });

  it('frees fragments on RECEIVED when the stream keeps no data (retention 0)', async () => {
    h = await Harness.start({ retentionHours: 0, server: { onCluster: () => ({ kind: 'received-only' }) } });
    await h.header();
    await h.append(0, 3);
    await h.freed(3, 'received');
    expect(h.sink.stats().store).toMatchObject({ fragments: 0, freed: { persisted: 0, received: 3, skipped: 0 } });
  });

  it('parses ACKs split across HTTP chunks and mixed with garbage, reporting the garbage and losing no ACK', async () => {
    h = await Harness.start({
      server: {
        mangle: (line) => {
          const cut = Math.floor(line.length / 3);
          return ['not json\n', line.slice(0, cut), line.slice(cut, 2 * cut), line.slice(2 * cut)];
        },
      },
    });
    await h.header();
    await h.append(0, 3);
    await h.freed(3);
    expect(h.events.of('malformed-ack').length).toBeGreaterThanOrEqual(9);
    expect(h.events.of('malformed-ack')[0]!.ack).toMatchObject({ code: 'KVS_ACK_MALFORMED_JSON', raw: 'not json' });
  });

  it('starts a new connection with the new stream header when the header changes', async () => {
    h = await Harness.start();
    await h.header('first-header');
    await h.append(0, 2);
    await h.freed(2);
    await h.header('second-header');
    await h.append(2, 2);
    await h.freed(4);
    const [a, b] = h.server.connections;
    expect(a!.clusters).toEqual(range(0, 2));
    expect(b!.clusters).toEqual(range(2, 4));
    expect(a!.bodyPrefix.includes('first-header')).toBe(true);
    expect(b!.bodyPrefix.includes('second-header')).toBe(true);
    expect(a!.bodyEnded).toBe(true);
  });

  it('sends a fragment whose timecode went backwards (clock step) on a new connection instead of earning 4004', async () => {
    h = await Harness.start();
    await h.header();
    await h.append(5, 1);
    await h.freed(1);
    await h.append(3, 1);
    await h.freed(2);
    expect(h.server.connections.map((c) => c.clusters)).toEqual([[tcOf(5)], [tcOf(3)]]);
    expect(h.events.of('session-ended')[0]!.reason).toBe('timecode-regress');
  });

  it('stops with KVS_STREAM_NOT_FOUND when the stream is missing and create is off, and keeps recording', async () => {
    h = await Harness.start({ noStream: true });
    const error = await h.sink.done;
    expect(error).toMatchObject({ code: 'KVS_STREAM_NOT_FOUND', retryable: false });
    expect(h.events.of('stopped')).toHaveLength(1);
    await h.header();
    await h.append(0, 2);
    expect(h.sink.stats().store.fragments).toBe(2);
    expect(h.sink.stats().sender.state).toBe('stopped');
  });

  it('creates the stream when asked and delivers to it', async () => {
    h = await Harness.start({ noStream: true, sink: { create: { dataRetentionInHours: 2 } } });
    await h.header();
    await h.append(0, 2);
    await h.freed(2);
    expect(h.controlPlane.callsTo('createStream')[0]!.body).toMatchObject({ StreamName: 'cam-1', DataRetentionInHours: 2, MediaType: 'video/h264' });
  });

  it('backs off and retries when PutMedia answers ConnectionLimitExceeded, then delivers', async () => {
    h = await Harness.start({
      server: { reject: (n) => (n <= 2 ? { status: 400, errorType: 'ConnectionLimitExceededException', message: 'too many connections' } : undefined) },
    });
    await h.header();
    await h.append(0, 2);
    await h.passBackoff(1);
    await h.passBackoff(2);
    await h.freed(2);
    const errors = h.events.of('retrying').map((r) => r.error);
    expect(errors[0]).toMatchObject({ code: 'KVS_PUT_MEDIA_HTTP_ERROR', awsError: 'ConnectionLimitExceededException' });
    expect(errors[0]!.message).toContain('too many connections');
  });

  it('asks GetDataEndpoint again after InvalidEndpointException', async () => {
    h = await Harness.start({ server: { reject: (n) => (n === 1 ? { status: 400, errorType: 'InvalidEndpointException', message: 'wrong endpoint' } : undefined) } });
    await h.header();
    await h.append(0, 1);
    await h.passBackoff(1);
    await h.freed(1);
    expect(h.controlPlane.callsTo('getDataEndpoint')).toHaveLength(2);
  });

  it('stops with KVS_ACCESS_DENIED when PutMedia is denied by IAM, leaving the fragments stored', async () => {
    h = await Harness.start({ server: { reject: () => ({ status: 403, errorType: 'AccessDeniedException', message: 'not authorized to perform kinesisvideo:PutMedia' }) } });
    await h.header();
    await h.append(0, 2);
    const error = await h.sink.done;
    expect(error).toMatchObject({ code: 'KVS_ACCESS_DENIED', retryable: false });
    expect(error!.message).toContain('kinesisvideo:PutMedia');
    expect(h.sink.stats().store.fragments).toBe(2);
  });
});

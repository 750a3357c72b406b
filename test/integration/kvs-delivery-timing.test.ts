/**
 * Time-driven behaviour of the Kinesis Video sink with fake time and real local HTTP servers: connection
 * rotation before the service's 45-minute cut, staleness detection, live-first back-fill, restarts.
 */
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { constantRng } from '../unit/sinks/kinesis-video/helpers/fake-time.js';
import { Harness } from '../unit/sinks/kinesis-video/helpers/harness.js';
import { tcOf } from '../unit/sinks/kinesis-video/helpers/test-media.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MINUTE = 60_000;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => tcOf(from + i));

describe('Kinesis Video delivery over time', () => {
  it('rotates the PutMedia connection before 40 minutes (minus jitter), ending the old one cleanly and starting the new one with a header', async () => {
    // rng 0.5 takes half of the 3-minute jitter cap: rotation due at 38.5 minutes.
    h = await Harness.start({ rng: constantRng(0.5), sink: { timing: { watchdogIntervalMs: 30_000 } } });
    await h.header();
    await h.append(0, 2);
    await h.freed(2);
    const opened = (await h.events.next('connecting')) && h.time.now();
    await h.time.advance(38 * MINUTE);
    await h.append(2, 1);
    await h.freed(3);
    expect(h.server.connections).toHaveLength(1);
    await h.advanceWithIo(MINUTE);
    const ended = await h.events.next('session-ended', (e) => e.connectionId === 1);
    expect(ended.reason).toBe('rotation');
    const rotatedAfter = h.time.now() - opened;
    expect(rotatedAfter).toBeGreaterThanOrEqual(38.5 * MINUTE);
    expect(rotatedAfter).toBeLessThan(40 * MINUTE);
    await h.append(3, 1);
    await h.freed(4);
    const [first, second] = h.server.connections;
    expect(first!.bodyEnded).toBe(true);
    expect(first!.clusters).toEqual(range(0, 3));
    expect(second!.startedWithHeader).toBe(true);
    expect(second!.clusters).toEqual([tcOf(3)]);
    expect(h.server.maxConcurrent).toBe(1);
  });

  it('treats a connection with unconfirmed fragments and no ACK for stalenessMs as stale, reconnects and resends them', async () => {
    h = await Harness.start({
      server: { onCluster: (c) => (c.connection === 1 && c.timecode === tcOf(1) ? { kind: 'silent' } : { kind: 'ack' }) },
      sink: { timing: { stalenessMs: 20_000, watchdogIntervalMs: 1_000 } },
    });
    await h.header();
    await h.append(0, 3);
    await h.freed(2);
    // Fragment 1 got no ACK; the others did. 19 s later the connection is still trusted...
    await h.time.advance(19_000);
    expect(h.events.of('session-ended')).toHaveLength(0);
    // ...and at 20 s it is not.
    await h.time.advance(1_000);
    const ended = await h.events.next('session-ended');
    expect(ended).toMatchObject({ reason: 'failed', error: { code: 'KVS_PUT_MEDIA_STALE' } });
    await h.passBackoff(1);
    await h.freed(3);
    expect(h.server.connections[1]!.clusters).toEqual([tcOf(1)]);
    expect(h.sink.stats().store.freed.skipped).toBe(0);
  });

  it('treats a server that accepts the connection but never answers as stale, and recovers when it behaves again', async () => {
    const blackHole = net.createServer((socket) => socket.pause());
    await new Promise<void>((resolve) => blackHole.listen({ port: 0, host: '127.0.0.1' }, resolve));
    try {
      h = await Harness.start({ sink: { timing: { stalenessMs: 30_000, watchdogIntervalMs: 1_000 } } });
      h.controlPlane.dataEndpoint = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
      await h.header();
      await h.append(0, 2);
      await h.events.next('fragment-sent', (e) => e.fragment.seq === 1);
      await h.time.advance(30_000);
      expect(await h.events.next('session-ended')).toMatchObject({ reason: 'failed', error: { code: 'KVS_PUT_MEDIA_STALE' } });
      // A stale connection makes the sender ask GetDataEndpoint again, which now names a working host.
      h.controlPlane.dataEndpoint = h.server.url;
      await h.passBackoff(1);
      await h.freed(2);
      expect(h.controlPlane.callsTo('getDataEndpoint')).toHaveLength(2);
      expect(h.server.connections.flatMap((c) => c.clusters)).toEqual(range(0, 2));
    } finally {
      blackHole.close();
    }
  });

  it('live-first: after an outage the newest fragment goes first, history is back-filled in order on the same single connection slot', async () => {
    h = await Harness.start({ serverDown: true, sink: { backlog: 'live-first', liveFirst: { liveSliceMs: 10_000, backfillSliceMs: 60_000 } } });
    await h.header();
    await h.append(0, 1);
    await h.events.next('retrying');
    await h.append(1, 4);
    await h.server.start();
    await h.passBackoff(1);
    await h.freed(1);
    expect(h.server.connections[0]!.clusters).toEqual([tcOf(4)]);
    await h.append(5, 2);
    await h.freed(3);
    // The live slice ends; history gets the slot.
    await h.time.advance(10_000);
    await h.freed(7);
    await h.append(7, 1);
    await h.freed(8);
    expect(h.server.connections.map((c) => c.clusters)).toEqual([range(4, 7), range(0, 4), [tcOf(7)]]);
    expect(h.events.of('connecting').map((e) => e.kind)).toEqual(['live', 'live', 'backfill', 'live']);
    expect(h.server.connections.every((c) => c.startedWithHeader)).toBe(true);
    expect(h.server.maxConcurrent).toBe(1);
  });

  it('oldest-first (default): after an outage the backlog goes first, in recording order', async () => {
    h = await Harness.start({ serverDown: true });
    await h.header();
    await h.append(0, 1);
    await h.events.next('retrying');
    await h.append(1, 4);
    await h.server.start();
    await h.passBackoff(1);
    await h.freed(5);
    expect(h.server.connections.flatMap((c) => c.clusters)).toEqual(range(0, 5));
  });

  it('delivers after a restart what was recorded while the link was down', async () => {
    h = await Harness.start({ serverDown: true });
    await h.header();
    await h.append(0, 3);
    await h.events.next('retrying');
    await h.closeSink();
    await h.server.start();
    await h.openSink();
    await h.freed(3);
    expect(h.server.connections.flatMap((c) => c.clusters)).toEqual(range(0, 3));
    expect(h.server.connections[0]!.startedWithHeader).toBe(true);
  });

  it('evicts the oldest fragments during a long outage, counting every one, and delivers what the ring kept', async () => {
    h = await Harness.start({ serverDown: true, store: { maxDurationMs: 8_000 } });
    await h.header();
    await h.append(0, 10);
    expect(h.events.of('evicted').map((e) => e.fragment.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(h.sink.stats().store.evicted).toMatchObject({ fragments: 6, durationMs: 12_000 });
    await h.events.next('retrying');
    await h.server.start();
    await h.time.advance(60_000);
    await h.freed(4);
    expect(h.server.connections.flatMap((c) => c.clusters)).toEqual(range(6, 10));
  });

  it('close() ends the PutMedia body gracefully and leaves unconfirmed fragments on disk for the next start', async () => {
    h = await Harness.start({ server: { onCluster: (c) => (c.timecode >= tcOf(2) ? { kind: 'silent' } : { kind: 'ack' }) } });
    await h.header();
    await h.append(0, 3);
    await h.freed(2);
    await h.closeSink();
    expect(h.events.of('session-ended').at(-1)!.reason).toBe('aborted');
    expect(h.server.connections[0]!.bodyEnded).toBe(true);
    await h.openSink();
    expect(h.sink.stats().store.fragments).toBe(1);
  });
});

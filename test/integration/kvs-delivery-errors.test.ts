/**
 * ERROR ACKs, per class (src/sinks/kinesis-video/ack-errors.ts), against a real local PutMedia fake:
 * skip the fragment with a recorded reason, retry it (charged to it, skipped once it has failed too often),
 * reconnect, or stop with a clear error while recording goes on.
 */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterAction } from '../unit/sinks/kinesis-video/helpers/fake-put-media-server.js';
import { Harness } from '../unit/sinks/kinesis-video/helpers/harness.js';
import { tcOf } from '../unit/sinks/kinesis-video/helpers/test-media.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ack: ClusterAction = { kind: 'ack' };
const onFragment1 = (action: ClusterAction, times = 1) => ({
  onCluster: (c: { timecode: number; seenBefore: number }) => (c.timecode === tcOf(1) && c.seenBefore < times ? action : ack),
});

describe('ERROR ACK handling', () => {
  it('skips a fragment the service rejects as INVALID_MKV_DATA (4006), records why, and delivers the rest', async () => {
    h = await Harness.start({ server: onFragment1({ kind: 'error', errorId: 4006, errorCode: 'INVALID_MKV_DATA' }) });
    await h.header();
    await h.append(0, 4);
    await h.passBackoff(1);
    await h.freed(3);
    await h.freed(1, 'skipped');
    const skipped = h.events.of('fragment-skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.fragment.seq).toBe(1);
    expect(skipped[0]!.reason).toContain('INVALID_MKV_DATA (ErrorId 4006)');
    // Sent once, never again.
    expect(h.server.connections.flatMap((c) => c.clusters).filter((t) => t === tcOf(1))).toHaveLength(1);
    expect(h.sink.stats().store.freed).toEqual({ persisted: 3, received: 0, skipped: 1 });
  });

  it('skips FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS (4004) and MAX_FRAGMENT_DURATION_REACHED (4002) fragments', async () => {
    h = await Harness.start({
      server: {
        onCluster: (c) =>
          c.timecode === tcOf(1)
            ? { kind: 'error', errorId: 4004, errorCode: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS' }
            : c.timecode === tcOf(3)
              ? { kind: 'error', errorId: 4002, errorCode: 'MAX_FRAGMENT_DURATION_REACHED' }
              : ack,
      },
    });
    await h.header();
    await h.append(0, 5);
    await h.passBackoff(1);
    await h.passBackoff(2);
    await h.freed(3);
    await h.freed(2, 'skipped');
    expect(h.events.of('fragment-skipped').map((e) => e.fragment.seq)).toEqual([1, 3]);
  });

  it('blames the fragment being received when an ERROR ACK carries no timecode', async () => {
    h = await Harness.start({ server: onFragment1({ kind: 'error', errorId: 4006, errorCode: 'INVALID_MKV_DATA', withTimecode: false }) });
    await h.header();
    await h.append(0, 3);
    await h.passBackoff(1);
    await h.freed(2);
    expect(h.events.of('fragment-skipped').map((e) => e.fragment.seq)).toEqual([1]);
  });

  it('retries a fragment after INTERNAL_ERROR (5000) on a new connection and delivers it', async () => {
    h = await Harness.start({ server: onFragment1({ kind: 'error', errorId: 5000, errorCode: 'INTERNAL_ERROR' }) });
    await h.header();
    await h.append(0, 3);
    const retry = await h.events.next('retrying');
    expect(retry.error).toMatchObject({ code: 'KVS_PUT_MEDIA_ERROR_ACK', awsError: '5000' });
    await h.time.advance(retry.delayMs);
    await h.freed(3);
    expect(h.server.connections[1]!.clusters[0]).toBe(tcOf(1));
    expect(h.server.connections[1]!.startedWithHeader).toBe(true);
    expect(h.sink.stats().store.freed.skipped).toBe(0);
  });

  it('skips a fragment that keeps failing with a retry-class error after maxAttemptsPerFragment, so the stream moves on', async () => {
    h = await Harness.start({
      server: onFragment1({ kind: 'error', errorId: 5001, errorCode: 'ARCHIVAL_ERROR' }, Number.POSITIVE_INFINITY),
      sink: { maxAttemptsPerFragment: 3 },
    });
    await h.header();
    await h.append(0, 3);
    for (let n = 1; n <= 3; n += 1) await h.passBackoff(n);
    await h.freed(2);
    await h.freed(1, 'skipped');
    expect(h.events.of('fragment-skipped')[0]!.reason).toBe('gave up after 3 attempts, last error ARCHIVAL_ERROR (ErrorId 5001)');
    expect(h.server.connections.flatMap((c) => c.clusters).filter((t) => t === tcOf(1))).toHaveLength(3);
  });

  it('reconnects after MAX_CONNECTION_DURATION_REACHED (4003) without skipping anything', async () => {
    h = await Harness.start({ server: onFragment1({ kind: 'error', errorId: 4003, errorCode: 'MAX_CONNECTION_DURATION_REACHED' }) });
    await h.header();
    await h.append(0, 3);
    await h.passBackoff(1);
    await h.freed(3);
    expect(h.events.of('session-ended')[0]).toMatchObject({ reason: 'reconnect', detail: 'MAX_CONNECTION_DURATION_REACHED (ErrorId 4003)' });
    expect(h.sink.stats().store.freed.skipped).toBe(0);
  });

  it('stops with KVS_STREAM_DELETED on STREAM_DELETED (4507) and keeps the fragments and the recording', async () => {
    h = await Harness.start({ server: onFragment1({ kind: 'error', errorId: 4507, errorCode: 'STREAM_DELETED' }) });
    await h.header();
    await h.append(0, 3);
    const error = await h.sink.done;
    expect(error).toMatchObject({ code: 'KVS_STREAM_DELETED', retryable: false });
    expect(error!.message).toContain('recreate it');
    expect(h.events.of('stopped')).toHaveLength(1);
    await h.append(3, 1);
    expect(h.sink.stats().store.fragments).toBeGreaterThanOrEqual(3);
    expect(h.sink.stats().sender.state).toBe('stopped');
  });

  it("stops with KVS_KMS_ERROR on KMS_KEY_DISABLED (4501), telling the user to fix the stream's key", async () => {
    h = await Harness.start({ server: onFragment1({ kind: 'error', errorId: 4501, errorCode: 'KMS_KEY_DISABLED' }) });
    await h.header();
    await h.append(0, 3);
    const error = await h.sink.done;
    expect(error).toMatchObject({ code: 'KVS_KMS_ERROR', awsError: '4501' });
    expect(error!.message).toContain('KMS key');
  });

  it('retries after KMS_KEY_UNAVAILABLE (4503), the KMS condition that clears by itself', async () => {
    h = await Harness.start({ server: onFragment1({ kind: 'error', errorId: 4503, errorCode: 'KMS_KEY_UNAVAILABLE' }) });
    await h.header();
    await h.append(0, 3);
    await h.passBackoff(1);
    await h.freed(3);
  });

  it('re-describes the stream before reconnecting after STREAM_NOT_ACTIVE (4008)', async () => {
    h = await Harness.start({ server: onFragment1({ kind: 'error', errorId: 4008, errorCode: 'STREAM_NOT_ACTIVE' }) });
    await h.header();
    await h.append(0, 3);
    await h.passBackoff(1);
    await h.freed(3);
    expect(h.controlPlane.callsTo('describeStream')).toHaveLength(2);
  });
});

describe('fragments that cannot be sent', () => {
  it('skips a fragment whose stream header file vanished from the store, instead of retrying it for ever', async () => {
    h = await Harness.start({ serverDown: true });
    await h.header('lost-header');
    await h.append(0, 1);
    await h.events.next('retrying');
    for (const name of await readdir(h.dir)) if (name.endsWith('.hdr')) await unlink(join(h.dir, name));
    await h.header('new-header');
    await h.append(1, 1);
    await h.server.start();
    await h.passBackoff(1);
    await h.freed(1, 'skipped');
    await h.passBackoff(2);
    await h.freed(1);
    expect(h.events.of('fragment-skipped')[0]).toMatchObject({ fragment: { seq: 0 }, reason: expect.stringContaining('stream header cannot be read') });
    expect(h.server.connections.flatMap((c) => c.clusters)).toEqual([tcOf(1)]);
  });
});

/**
 * The whole Kinesis Video sink against kedge's own local target (src/ingest/video), with SigV4 checked by the
 * target: control plane through the SDK client, PutMedia by hand, fragments written by kedge's MKV writer.
 * Proves the two sides agree on the wire, not just each with its own fake.
 */
import { ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/aws/credentials.js';
import { FragmentStore } from '../../src/sinks/kinesis-video/fragment-store.js';
import { KinesisVideoSink, type KinesisVideoSinkOptions } from '../../src/sinks/kinesis-video/sink.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../helpers/target.js';
import { fragment, streamHeader } from '../unit/ingest/video/helpers/mkv-parts.js';
import { startVideoTarget, type VideoTarget } from '../unit/ingest/video/helpers/video-target.js';
import { EventLog } from '../unit/sinks/kinesis-video/helpers/events.js';
import { FakeTime, seededRng } from '../unit/sinks/kinesis-video/helpers/fake-time.js';

const T0 = Date.UTC(2026, 10, 20, 10);
let target: VideoTarget | undefined;
let sink: KinesisVideoSink | undefined;
let dir: string | undefined;
let time: FakeTime;

afterEach(async () => {
  await sink?.close();
  await target?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  sink = undefined;
  target = undefined;
  dir = undefined;
});

async function open(events: EventLog, options: Partial<KinesisVideoSinkOptions> = {}, history?: (store: FragmentStore) => Promise<void>): Promise<KinesisVideoSink> {
  target = await startVideoTarget({ memory: true, auth: [TEST_CREDENTIALS] });
  dir = await mkdtemp(join(tmpdir(), 'kedge-kvs-ingest-'));
  if (history !== undefined) {
    const store = await FragmentStore.open({ dir, maxBytes: 50_000_000, maxDurationMs: 3_600_000, fsync: 'never' });
    await history(store);
    await store.close();
  }
  // The target checks X-Amz-Date against its own clock (15 min skew), so fake time starts at the real now.
  time = new FakeTime(Date.now());
  sink = await KinesisVideoSink.open({
    stream: { streamName: 'cam' },
    region: TEST_REGION,
    endpoint: target.url,
    credentials: staticCredentials(TEST_CREDENTIALS),
    create: { dataRetentionInHours: 24 },
    store: { dir, maxBytes: 50_000_000, maxDurationMs: 3_600_000, fsync: 'never' },
    clock: time.clock,
    sleep: time.sleep,
    rng: seededRng(1),
    onEvent: events.listener,
    ...options,
  });
  return sink;
}

async function put(s: Pick<KinesisVideoSink, 'putFragment'>, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 1) await s.putFragment(fragment(T0 + i * 1000), { fragmentTimecodeMs: T0 + i * 1000, durationMs: 1000, keyframe: true });
}

describe('Kinesis Video sink against the local target', () => {
  it('creates the stream, uploads signed PutMedia, and every fragment is PERSISTED and listed with its producer timestamp', async () => {
    const events = new EventLog();
    const s = await open(events);
    await s.putHeader(streamHeader());
    await put(s, 0, 5);
    await events.until(() => events.of('freed').filter((e) => e.reason === 'persisted').length === 5);
    // The last fragment was confirmed on the open connection (end-of-fragment marker), not at an idle cut.
    expect(events.of('session-ended')).toHaveLength(0);
    const archived = await target!.archived('cam');
    const listed = await archived.send(new ListFragmentsCommand({ StreamName: 'cam' }));
    const stamps = (listed.Fragments ?? []).map((f) => f.ProducerTimestamp!.getTime()).sort((a, b) => a - b);
    expect(stamps).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * 1000));
    const persisted = events.of('ack').filter((e) => e.ack.type === 'PERSISTED');
    expect(persisted.every((e) => e.ack.type === 'PERSISTED' && typeof e.ack.fragmentNumber === 'string')).toBe(true);
    expect(events.of('retrying')).toHaveLength(0);
  });

  it('hands the connection over cleanly on a header change: the target (one upload per stream) never refuses the next one', async () => {
    const events = new EventLog();
    const s = await open(events);
    await s.putHeader(streamHeader('first'));
    await put(s, 0, 2);
    await events.until(() => events.of('freed').length === 2);
    await s.putHeader(streamHeader('second'));
    await put(s, 2, 2);
    await events.until(() => events.of('freed').length === 4);
    expect(events.of('session-ended')[0]!.reason).toBe('header-change');
    expect(events.of('connecting')).toHaveLength(2);
    expect(events.of('retrying')).toHaveLength(0);
  });

  it('live-first after a restart: the newest stored fragment goes first, then the history, in sessions that never overlap on the target', async () => {
    const events = new EventLog();
    const s = await open(events, { backlog: 'live-first', liveFirst: { liveSliceMs: 10_000, backfillSliceMs: 60_000 } }, async (store) => {
      await store.putHeader(streamHeader());
      await put({ putFragment: (b, m) => store.append(b, m) }, 0, 4);
    });
    await events.until(() => events.of('freed').length === 1);
    expect(events.of('freed')[0]!.fragment.seq).toBe(3);
    // A restarted camera states its header again before new fragments.
    await s.putHeader(streamHeader());
    await put(s, 4, 1);
    await events.until(() => events.of('freed').length === 2);
    await time.advance(10_000);
    await events.until(() => events.of('freed').length === 5);
    expect(events.of('freed').map((e) => e.fragment.seq)).toEqual([3, 4, 0, 1, 2]);
    expect(events.of('connecting').map((e) => e.kind)).toEqual(['live', 'backfill']);
    expect(events.of('retrying')).toHaveLength(0);
    const archived = await target!.archived('cam');
    const listed = await archived.send(new ListFragmentsCommand({ StreamName: 'cam' }));
    expect(listed.Fragments).toHaveLength(5);
  });
});

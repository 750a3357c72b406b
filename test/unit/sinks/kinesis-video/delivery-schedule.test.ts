import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDeliverySchedule } from '../../../../src/sinks/kinesis-video/delivery-schedule.js';
import { FragmentStore } from '../../../../src/sinks/kinesis-video/fragment-store.js';
import { FakeTime } from './helpers/fake-time.js';
import { tcOf, testCluster, testStreamHeader } from './helpers/test-media.js';

let dir: string;
let store: FragmentStore;
let time: FakeTime;
const signal = new AbortController().signal;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kedge-schedule-'));
  store = await FragmentStore.open({ dir, maxBytes: 10_000_000, maxDurationMs: 3_600_000, fsync: 'never' });
  await store.putHeader(testStreamHeader());
  time = new FakeTime();
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function append(from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 1) await store.append(testCluster(tcOf(i), 100), { fragmentTimecodeMs: tcOf(i), durationMs: 2000, keyframe: true });
}

async function take(cursor: { next(s: AbortSignal): Promise<{ seq: number } | undefined> }, n: number): Promise<Array<number | undefined>> {
  const out: Array<number | undefined> = [];
  for (let i = 0; i < n; i += 1) out.push((await cursor.next(signal))?.seq);
  return out;
}

describe('delivery schedules', () => {
  it('oldest-first: each session starts at the oldest unconfirmed fragment and then waits for new ones', async () => {
    const schedule = createDeliverySchedule('oldest-first', store, time);
    await append(0, 3);
    await store.release(0, 'persisted');
    const cursor = schedule.startSession();
    expect(await take(cursor, 2)).toEqual([1, 2]);
    const waiting = cursor.next(signal);
    await append(3, 1);
    expect((await waiting)?.seq).toBe(3);
    expect(await take(schedule.startSession(), 1)).toEqual([1]);
  });

  it('a waiting cursor gives up when its session is aborted', async () => {
    const schedule = createDeliverySchedule('oldest-first', store, time);
    const controller = new AbortController();
    const waiting = schedule.startSession().next(controller.signal);
    controller.abort(new Error('session over'));
    await expect(waiting).rejects.toThrow('session over');
  });

  it('live-first: after an outage, live starts at the newest fragment; once the live slice is over, history gets a back-fill session, oldest first', async () => {
    const schedule = createDeliverySchedule('live-first', store, time, { liveSliceMs: 10_000, backfillSliceMs: 5_000 });
    await append(0, 4);
    schedule.noteOutage();
    const live = schedule.startSession();
    expect(live.kind).toBe('live');
    expect(await take(live, 1)).toEqual([3]);
    await store.release(3, 'persisted');
    // Within the slice the live cursor waits for the camera...
    const waiting = live.next(signal);
    await append(4, 1);
    expect((await waiting)?.seq).toBe(4);
    await store.release(4, 'persisted');
    // ...and at the end of the slice it ends the session, since history is waiting.
    const ending = live.next(signal);
    await time.advance(10_000);
    expect(await ending).toBeUndefined();
    const backfill = schedule.startSession();
    expect(backfill.kind).toBe('backfill');
    expect(await take(backfill, 2)).toEqual([0, 1]);
    await time.advance(5_000);
    expect(await take(backfill, 1)).toEqual([undefined]);
    // Live again, then the rest of the history.
    expect(schedule.startSession().kind).toBe('live');
    const rest = schedule.startSession();
    expect(rest.kind).toBe('backfill');
    expect(await take(rest, 3)).toEqual([0, 1, 2]);
  });

  it('live-first without history behaves like a plain live stream', async () => {
    const schedule = createDeliverySchedule('live-first', store, time, { liveSliceMs: 1_000 });
    const live = schedule.startSession();
    const waiting = live.next(signal);
    await append(0, 1);
    expect((await waiting)?.seq).toBe(0);
    await time.advance(60_000);
    await append(1, 1);
    expect(await take(live, 1)).toEqual([1]);
  });
});

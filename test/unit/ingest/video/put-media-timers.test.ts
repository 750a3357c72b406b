/**
 * PutMedia's per-connection timer on an injected clock and sleep: IDLE ACKs while no data arrives, the
 * request closed after 30 s of silence (completing the open fragment), and ERROR 4003 at 45 minutes even
 * on a quiet connection. The server and the video service are real; only time is fake.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sleep } from '../../../../src/core/clock.js';
import { createAuthenticator } from '../../../../src/ingest/auth/authenticator.js';
import { createIngestServer, type IngestServer } from '../../../../src/ingest/server/ingest-server.js';
import { openVideoService, type VideoService } from '../../../../src/ingest/video/service.js';
import { ManualClock } from '../../../helpers/manual-clock.js';
import { seededRng } from '../../../helpers/seeded-rng.js';
import { http1Request } from '../../../helpers/target.js';
import { fragment, streamHeader } from './helpers/mkv-parts.js';
import { openPutMedia, type PutMediaConnection } from './helpers/put-media-client.js';

const T0 = Date.UTC(2026, 3, 1);

/** Sleeps that end when the test says so. */
class ManualSleep {
  private pending: { resolve: () => void }[] = [];
  readonly sleep: Sleep = (_ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry = { resolve };
      this.pending.push(entry);
      signal?.addEventListener('abort', () => {
        this.pending = this.pending.filter((p) => p !== entry);
        reject(signal.reason);
      }, { once: true });
    });

  get waiting(): number {
    return this.pending.length;
  }

  /** Ends every pending sleep and lets the woken code run. */
  async fire(): Promise<void> {
    const due = this.pending;
    this.pending = [];
    for (const p of due) p.resolve();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let server: IngestServer | undefined;
let video: VideoService | undefined;
const connections: PutMediaConnection[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.destroy();
  await video?.close();
  await server?.close(100);
  server = video = undefined;
});

async function start(): Promise<{ url: string; clock: ManualClock; sleeps: ManualSleep }> {
  const clock = new ManualClock(T0);
  const sleeps = new ManualSleep();
  const logger = pino({ level: 'silent' });
  video = await openVideoService({ clock, rng: seededRng(1), logger, sleep: sleeps.sleep });
  server = createIngestServer({ authenticator: createAuthenticator({ clock, defaultRegion: 'us-east-1' }), clock, accountId: '000000000000', defaultRegion: 'us-east-1', logger });
  server.registerPathService(video);
  const address = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  video.setEndpoint(url);
  const created = await http1Request(url, { path: '/createStream', headers: { 'content-type': 'application/json' }, body: '{"StreamName":"cam","DataRetentionInHours":1}' });
  expect(created.status).toBe(200);
  return { url, clock, sleeps };
}

async function upload(url: string, sleeps: ManualSleep): Promise<PutMediaConnection> {
  const c = openPutMedia(url, { streamName: 'cam', timecodeType: 'ABSOLUTE', producerStartTimestamp: String(T0 / 1000) });
  connections.push(c);
  await c.write(Buffer.concat([streamHeader(), fragment(T0)]));
  await c.until((acks) => acks.some((a) => a.EventType === 'BUFFERING'));
  while (sleeps.waiting === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return c;
}

describe('PutMedia connection timer', () => {
  it('sends IDLE while no data arrives, and none while data keeps coming', async () => {
    const { url, clock, sleeps } = await start();
    const c = await upload(url, sleeps);
    clock.advance(1000);
    // Data within the interval (seen by the server once the first fragment is RECEIVED): no IDLE.
    await c.write(fragment(T0 + 1000));
    await c.until((acks) => acks.some((a) => a.EventType === 'RECEIVED'));
    clock.advance(2000);
    await sleeps.fire();
    expect(c.acks.filter((a) => a.EventType === 'IDLE')).toHaveLength(0);
    clock.advance(3000);
    await sleeps.fire();
    clock.advance(3000);
    await sleeps.fire();
    expect(c.acks.filter((a) => a.EventType === 'IDLE')).toEqual([{ EventType: 'IDLE' }, { EventType: 'IDLE' }]);
  });

  it('closes the request after 30 s without data, completing the fragment that was open', async () => {
    const { url, clock, sleeps } = await start();
    const c = await upload(url, sleeps);
    clock.advance(30_000);
    await sleeps.fire();
    await c.ended;
    expect(c.acks.filter((a) => a.FragmentTimecode === T0).map((a) => a.EventType)).toEqual(['BUFFERING', 'RECEIVED', 'PERSISTED']);
    // The stream is free for the next upload.
    const next = await upload(url, sleeps);
    expect((await next.response).status).toBe(200);
  });

  it('sends ERROR 4003 from the timer once the connection is 45 minutes old, with no data arriving to trigger the check, and ends it', async () => {
    const { url, clock, sleeps } = await start();
    const c = await upload(url, sleeps);
    // No data comes to trigger the check: the timer does it.
    clock.advance(45 * 60_000);
    await sleeps.fire();
    await c.ended;
    expect(c.acks.at(-1)).toMatchObject({ EventType: 'ERROR', ErrorId: 4003, FragmentTimecode: T0 });
  });
});

/**
 * Kinesis Video data on disk: streams and fragments survive a restart and a SIGKILL of `kedge ingest`
 * (every fragment acknowledged PERSISTED is there afterwards), retention trims by the target's clock, and
 * DeleteStream takes the stream's data with it.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaForFragmentListCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../helpers/target.js';
import { startKedgeTarget, type KedgeTarget } from '../peers/kedge.js';
import { fakeStream } from '../unit/ingest/video/helpers/mkv-parts.js';
import { openPutMedia, persistedCount, type Ack } from '../unit/ingest/video/helpers/put-media-client.js';
import { startVideoTarget, type VideoTarget } from '../unit/ingest/video/helpers/video-target.js';

const T0 = Date.UTC(2026, 9, 1, 12);
const HOUR = 3_600_000;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-video-persist-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(dataDir: string, clock?: ManualClock): Promise<VideoTarget> {
  const t = await startVideoTarget({ dataDir, ...(clock ? { clock } : {}) });
  cleanups.push(() => t.close());
  return t;
}

async function upload(endpoint: string, startMs: number, count: number): Promise<Ack[]> {
  const { header, fragments } = fakeStream(startMs, count);
  const c = openPutMedia(endpoint, { streamName: 'cam', timecodeType: 'ABSOLUTE', producerStartTimestamp: (startMs / 1000).toFixed(3) });
  for (const part of [header, ...fragments]) await c.write(part);
  c.end();
  await c.ended;
  return c.acks;
}

async function fragmentsOf(t: { archived(name: string): Promise<KinesisVideoArchivedMediaClient> }): Promise<string[]> {
  const out = await (await t.archived('cam')).send(new ListFragmentsCommand({ StreamName: 'cam', MaxResults: 1000 }));
  return out.Fragments!.map((f) => f.FragmentNumber!);
}

async function mediaOf(t: VideoTarget, numbers: string[]): Promise<Buffer> {
  const out = await (await t.archived('cam')).send(new GetMediaForFragmentListCommand({ StreamName: 'cam', Fragments: numbers }));
  return Buffer.from(await out.Payload!.transformToByteArray());
}

const persisted = (acks: readonly Ack[]): string[] => acks.filter((a) => a.EventType === 'PERSISTED').map((a) => a.FragmentNumber!);

describe('Kinesis Video persistence', () => {
  it('keeps streams and fragments across a restart on the same data directory, byte for byte, and numbers keep growing', async () => {
    const dir = tempDir();
    const first = await start(dir);
    const { StreamARN } = await first.kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 24, Tags: { site: 'lab' } }));
    const before = persisted(await upload(await first.endpoint('cam', 'PUT_MEDIA'), T0, 3));
    const info = (await first.kvs.send(new DescribeStreamCommand({ StreamName: 'cam' }))).StreamInfo;
    const bytes = await mediaOf(first, before);
    expect(readdirSync(join(dir, 'video', 'streams', 'cam')).some((f) => f.startsWith('clusters-'))).toBe(true);
    await first.close();

    const second = await start(dir);
    expect((await second.kvs.send(new DescribeStreamCommand({ StreamARN }))).StreamInfo).toEqual(info);
    expect(await fragmentsOf(second)).toEqual(before);
    expect(await mediaOf(second, before)).toEqual(bytes);
    const after = persisted(await upload(await second.endpoint('cam', 'PUT_MEDIA'), T0 + 10_000, 2));
    expect(BigInt(after[0]!) > BigInt(before[2]!)).toBe(true);
    expect(await fragmentsOf(second)).toEqual([...before, ...after]);
  });

  it('keeps every fragment acknowledged PERSISTED when kedge ingest is killed with SIGKILL in the middle of an upload', async () => {
    const dir = tempDir();
    const child: KedgeTarget = await startKedgeTarget({ dataDir: dir });
    cleanups.push(() => child.close());
    const kvs = new KinesisVideoClient({ endpoint: child.url, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    cleanups.push(() => kvs.destroy());
    await kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 24 }));
    const { header, fragments } = fakeStream(T0, 6, { frameBytes: 4000 });
    const c = openPutMedia(child.url, { streamName: 'cam', timecodeType: 'ABSOLUTE', producerStartTimestamp: (T0 / 1000).toFixed(3) });
    await c.write(header);
    for (const f of fragments) await c.write(f);
    await c.until(persistedCount(4));
    await child.kill(); // mid-upload: the body is still open, the last fragment not even RECEIVED
    await c.ended;
    const acknowledged = persisted(c.acks);

    const restarted = await start(dir);
    const listed = await fragmentsOf(restarted);
    expect(acknowledged.length).toBeGreaterThanOrEqual(4);
    expect(listed.slice(0, acknowledged.length)).toEqual(acknowledged);
    expect((await mediaOf(restarted, listed)).length).toBeGreaterThan(0);
  });

  it("trims fragments past the stream's retention by the target's clock, also after a restart", async () => {
    const dir = tempDir();
    const clock = new ManualClock(T0);
    const first = await start(dir, clock);
    await first.kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 1 }));
    const old = persisted(await upload(await first.endpoint('cam', 'PUT_MEDIA'), T0, 2));
    clock.advance(HOUR / 2);
    const recent = persisted(await upload(await first.endpoint('cam', 'PUT_MEDIA'), T0 + HOUR / 2, 2));
    clock.advance(HOUR / 2 + 1);
    expect(await fragmentsOf(first)).toEqual(recent);
    await first.close();
    clock.advance(HOUR / 2);
    const second = await start(dir, clock);
    expect(await fragmentsOf(second)).toEqual([]);
    expect(old).toHaveLength(2);
  });

  it("deletes the stream's data with the stream; a new stream of the same name starts empty", async () => {
    const dir = tempDir();
    const t = await start(dir);
    const { StreamARN } = await t.kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 24 }));
    await upload(await t.endpoint('cam', 'PUT_MEDIA'), T0, 2);
    await t.kvs.send(new DeleteStreamCommand({ StreamARN }));
    expect(existsSync(join(dir, 'video', 'streams', 'cam'))).toBe(false);
    await t.kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 24 }));
    expect(await fragmentsOf(t)).toEqual([]);
  });
});

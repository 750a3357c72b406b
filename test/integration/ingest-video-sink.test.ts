/**
 * kedge's own Kinesis Video sink (src/sinks/kinesis-video) against kedge ingest, both unmodified: the sink
 * creates the stream through the SDK control plane, asks GetDataEndpoint, uploads real H.264 fragments
 * over PutMedia signed with SigV4 (auth on), and frees each one on its PERSISTED ACK; what arrived is then
 * listed and decoded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetMediaForFragmentListCommand, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { afterEach, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../src/aws/credentials.js';
import type { KvsDeliveryEvent } from '../../src/sinks/kinesis-video/events.js';
import { KinesisVideoSink } from '../../src/sinks/kinesis-video/sink.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../helpers/target.js';
import { encodeTestH264, muxH264 } from '../unit/ingest/video/helpers/h264-media.js';
import { ffprobeFrames } from '../unit/ingest/video/helpers/read-back.js';
import { startVideoTarget, type VideoTarget } from '../unit/ingest/video/helpers/video-target.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The pipeline's fragmenter writes clusters with their size, so a fragment is complete without the next one. */
function withKnownSize(cluster: Buffer): Buffer {
  if (cluster[4] !== 0xff) return cluster;
  const body = cluster.subarray(5);
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(body.length));
  size[0] = 0x01;
  return Buffer.concat([cluster.subarray(0, 4), size, body]);
}

describe('the kedge Kinesis Video sink and kedge ingest', () => {
  it('deliver real H.264 end to end: the stream is created, every fragment is freed on PERSISTED, listed in order and decoded', async () => {
    const target: VideoTarget = await startVideoTarget({ memory: true, auth: [TEST_CREDENTIALS] });
    cleanups.push(() => target.close());
    const dir = mkdtempSync(join(tmpdir(), 'kedge-video-sink-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const startMs = Date.now() - 60_000;
    const video = muxH264(await encodeTestH264(4), startMs);

    let persisted = 0;
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => (resolveAll = resolve));
    const errors: KvsDeliveryEvent[] = [];
    const sink = await KinesisVideoSink.open({
      stream: { streamName: 'sink-cam' },
      region: TEST_REGION,
      endpoint: target.url,
      credentials: staticCredentials(TEST_CREDENTIALS),
      create: { dataRetentionInHours: 24 },
      store: { dir, maxBytes: 64 * 1024 * 1024, maxDurationMs: 3_600_000 },
      onEvent: (e) => {
        if (e.type === 'error-ack' || e.type === 'stopped') errors.push(e);
        if (e.type === 'ack' && e.ack.type === 'PERSISTED' && ++persisted === video.fragments.length) resolveAll();
      },
    });
    cleanups.push(() => sink.close());
    await sink.putHeader(video.header);
    for (let i = 0; i < video.fragments.length; i++) {
      await sink.putFragment(withKnownSize(video.fragments[i]!), { fragmentTimecodeMs: video.timecodes[i]!, durationMs: 1000, keyframe: true });
    }
    await all;
    expect(errors).toEqual([]);
    expect(sink.stats().store).toMatchObject({ fragments: 0, freed: { persisted: video.fragments.length, received: 0, skipped: 0 } });

    const archived = await target.archived('sink-cam');
    const listed = (await archived.send(new ListFragmentsCommand({ StreamName: 'sink-cam' }))).Fragments!;
    expect(listed.map((f) => f.ProducerTimestamp!.getTime())).toEqual(video.timecodes);
    const media = await archived.send(new GetMediaForFragmentListCommand({ StreamName: 'sink-cam', Fragments: listed.map((f) => f.FragmentNumber!) }));
    const file = join(dir, 'delivered.mkv');
    writeFileSync(file, Buffer.from(await media.Payload!.transformToByteArray()));
    expect(await ffprobeFrames(file)).toBe(video.frames);
  });
});

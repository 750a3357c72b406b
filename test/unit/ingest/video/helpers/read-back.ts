/** Uploading a muxed video through PutMedia and reading media API output back, for the read tests. */
import { spawn } from 'node:child_process';
import type { ManualClock } from '../../../../helpers/manual-clock.js';
import { MkvReader } from '../../../../../src/media/mkv/index.js';
import { ffmpegBin, ffprobeBin, run } from '../../../media/support/tools.js';
import type { MuxedVideo } from './h264-media.js';
import { openPutMedia, type Ack } from './put-media-client.js';

/**
 * Uploads `video` in one PutMedia session. With `clock`, each fragment starts arriving `stepMs` after the
 * previous one by the target's clock, so server timestamps differ per fragment.
 */
export async function uploadVideo(endpoint: string, stream: string, video: MuxedVideo, clock?: ManualClock, stepMs = 1000): Promise<Ack[]> {
  const c = openPutMedia(endpoint, { streamName: stream, timecodeType: 'ABSOLUTE', producerStartTimestamp: (video.timecodes[0]! / 1000).toFixed(3) });
  await c.write(video.header);
  for (let i = 0; i < video.fragments.length; i++) {
    if (clock !== undefined && i > 0) clock.advance(stepMs);
    await c.write(video.fragments[i]!);
    await c.until((acks) => acks.filter((a) => a.EventType === 'BUFFERING').length > i || acks.some((a) => a.EventType === 'ERROR'));
  }
  c.end();
  await c.ended;
  if (c.acks.some((a) => a.EventType === 'ERROR')) throw new Error(`upload failed: ${JSON.stringify(c.acks)}`);
  return c.acks;
}

export interface MkvDocumentSummary {
  readonly tags: Record<string, string>;
  readonly frames: number;
  readonly clusterTimecode: number | undefined;
}

/** Reads MKV documents back to back (GetMedia output): per document, its tags and frame count. */
export class MkvDocuments {
  readonly documents: MkvDocumentSummary[] = [];
  private readonly reader = new MkvReader();
  private current: { tags: Record<string, string>; frames: number; clusterTimecode: number | undefined } | undefined;

  push(chunk: Uint8Array): void {
    this.take(this.reader.push(chunk));
  }

  end(): void {
    this.take(this.reader.end());
    if (this.current) this.documents.push(this.current);
    this.current = undefined;
  }

  private take(events: ReturnType<MkvReader['push']>): void {
    for (const e of events) {
      if (e.type === 'ebmlHeader') {
        if (this.current) this.documents.push(this.current);
        this.current = { tags: {}, frames: 0, clusterTimecode: undefined };
      } else if (e.type === 'tags' && this.current) {
        for (const t of e.tags) this.current.tags[t.name] = t.value;
      } else if (e.type === 'clusterStart' && this.current) {
        this.current.clusterTimecode = e.timecode;
      } else if (e.type === 'simpleBlock' && this.current) {
        this.current.frames++;
      }
    }
  }

  /** Documents whose cluster and closing tags have fully arrived (the last one may still be open). */
  get complete(): MkvDocumentSummary[] {
    return this.current && this.current.tags['AWS_KINESISVIDEO_CONTINUATION_TOKEN'] !== undefined ? [...this.documents, this.current] : this.documents;
  }
}

/** Frames ffprobe decodes from a file. */
export async function ffprobeFrames(path: string): Promise<number> {
  const r = await run(ffprobeBin, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path]);
  if (r.code !== 0) throw new Error(`ffprobe failed: ${r.stderr}`);
  return Number(r.stdout.trim().split('\n')[0]);
}

/** Frames ffmpeg decodes from `input` (`ffmpeg -i input -f null -`), read from its final progress line. */
export function ffmpegFrames(input: string, before: readonly string[] = []): Promise<{ frames: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegBin, ['-hide_banner', '-nostdin', ...before, '-i', input, '-map', '0:v:0', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const all = [...stderr.matchAll(/frame=\s*(\d+)/g)];
      if (code !== 0 || all.length === 0) reject(new Error(`ffmpeg exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ frames: Number(all[all.length - 1]![1]), stderr });
    });
  });
}

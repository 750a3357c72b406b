/**
 * `kedge video` as scripts run it: a child process streaming into `kedge ingest` (also a child), then the
 * real archived-media SDK client reading what arrived; exit codes and one-line reasons for the bad paths.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand, type Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseVideoFlags } from '../../src/cli/video.js';
import { startKedgeTarget, type KedgeTarget } from '../peers/kedge.js';

const REPO = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO, 'src/cli/main.ts');
const CREDENTIALS = { accessKeyId: 'AKIDVIDEOCLI', secretAccessKey: 'video-cli-secret' };

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `interrupt`: send SIGINT this long after the capture started (seen in the info log). */
function kedgeVideo(args: string[], interrupt?: { afterCaptureMs: number }): Promise<Run> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'video', ...args], {
      cwd: REPO,
      env: { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let interrupting = false;
    if (interrupt !== undefined) {
      child.stderr.on('data', () => {
        if (interrupting || !stderr.includes('"msg":"capture: ')) return;
        interrupting = true;
        setTimeout(() => child.kill('SIGINT'), interrupt.afterCaptureMs);
      });
    }
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** kedge's own lines on stderr (not the SDK's Node-version notice). */
const kedgeLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('kedge video:'));

async function listFragments(url: string, streamName: string): Promise<Fragment[]> {
  const control = new KinesisVideoClient({ region: 'us-east-1', endpoint: url, credentials: CREDENTIALS });
  try {
    const { DataEndpoint } = await control.send(new GetDataEndpointCommand({ StreamName: streamName, APIName: 'LIST_FRAGMENTS' }));
    const media = new KinesisVideoArchivedMediaClient({ region: 'us-east-1', endpoint: DataEndpoint!, credentials: CREDENTIALS });
    try {
      const fragments: Fragment[] = [];
      let token: string | undefined;
      do {
        const page = await media.send(new ListFragmentsCommand({ StreamName: streamName, ...(token === undefined ? {} : { NextToken: token }) }));
        fragments.push(...(page.Fragments ?? []));
        token = page.NextToken;
      } while (token !== undefined);
      return fragments;
    } finally {
      media.destroy();
    }
  } finally {
    control.destroy();
  }
}

/** ListFragments has no order; by producer timestamp, fragment numbers must rise too (ingestion order). */
function inOrder(fragments: readonly Fragment[]): Fragment[] {
  return [...fragments].sort((a, b) => a.ProducerTimestamp!.getTime() - b.ProducerTimestamp!.getTime());
}

describe('kedge video into kedge ingest', () => {
  let target: KedgeTarget;
  const dirs: string[] = [];
  beforeAll(async () => {
    target = await startKedgeTarget();
  });
  afterAll(async () => {
    await target.close();
  });
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'kedge-video-cli-'));
    dirs.push(d);
    return d;
  };

  it('streams the test pattern for 5 s and exits 0 once every fragment is PERSISTED; ListFragments shows each one once, in order', async () => {
    const store = tempDir();
    const run = await kedgeVideo(['--stream', 'cli-cam', '--source', 'test', '--duration', '5', '--endpoint', target.url, '--create', '--store', store, '--gop', '1', '--size', '320x240']);
    expect(kedgeLines(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
    const persisted = Number(/kedge video: (\d+) fragments persisted to stream cli-cam/.exec(run.stdout)?.[1]);
    expect(persisted).toBeGreaterThanOrEqual(4);

    const fragments = inOrder(await listFragments(target.url, 'cli-cam'));
    expect(fragments).toHaveLength(persisted);
    const timestamps = fragments.map((f) => f.ProducerTimestamp!.getTime());
    expect(new Set(timestamps).size).toBe(fragments.length);
    for (let i = 1; i < fragments.length; i += 1) {
      expect(BigInt(fragments[i]!.FragmentNumber!) > BigInt(fragments[i - 1]!.FragmentNumber!)).toBe(true);
    }
    // Everything confirmed has left the store.
    expect(readdirSync(store).filter((n) => n.endsWith('.frag'))).toEqual([]);
  });

  it('runs until SIGINT without --duration, then stops the camera, drains and exits 0', async () => {
    const run = await kedgeVideo(['--stream', 'until-signal', '--source', 'test', '--endpoint', target.url, '--create', '--store', tempDir(), '--gop', '1', '--size', '160x120', '--log-level', 'info'], { afterCaptureMs: 3_000 });
    expect(kedgeLines(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
    const persisted = Number(/kedge video: (\d+) fragments persisted/.exec(run.stdout)?.[1]);
    expect(persisted).toBeGreaterThanOrEqual(1);
    expect(await listFragments(target.url, 'until-signal')).toHaveLength(persisted);
  });

  it('shows a progress line with the fragments persisted when stderr is a terminal', async () => {
    // script(1) (util-linux, on every Debian) runs the command on a pseudo-terminal.
    const args = ['--import', 'tsx', MAIN, 'video', '--stream', 'on-a-tty', '--source', 'test', '--duration', '3', '--endpoint', target.url, '--create', '--store', tempDir(), '--gop', '1', '--size', '160x120'];
    const command = [process.execPath, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const run = await new Promise<Run>((resolveRun) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], {
        cwd: REPO,
        env: { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.on('close', (code) => resolveRun({ code, stdout, stderr: '' }));
    });
    expect(run.code).toBe(0);
    const progress = [...run.stdout.matchAll(/fragments: (\d+) persisted, (\d+) pending, (\d+) captured/g)];
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const final = Number(/kedge video: (\d+) fragments persisted/.exec(run.stdout)?.[1]);
    expect(Number(progress.at(-1)![1])).toBe(final);
  });

  it('exits 1 with the reason when the stream does not exist and --create is not given', async () => {
    const run = await kedgeVideo(['--stream', 'never-created', '--source', 'test', '--duration', '2', '--endpoint', target.url, '--store', tempDir(), '--size', '160x120']);
    expect(run.code).toBe(1);
    expect(kedgeLines(run.stderr).at(-1)).toMatch(/KVS_STREAM_NOT_FOUND/);
  });

  it('exits 1 when fragments are not PERSISTED within --drain-timeout, keeping them; a later run delivers them', async () => {
    const store = tempDir();
    const down = await kedgeVideo(['--stream', 'late-cam', '--source', 'test', '--duration', '2', '--endpoint', 'http://127.0.0.1:9', '--create', '--store', store, '--gop', '1', '--size', '160x120', '--drain-timeout', '2']);
    expect(down.code).toBe(1);
    const reason = kedgeLines(down.stderr).at(-1)!;
    const kept = Number(/(\d+) fragments not PERSISTED after 2 s/.exec(reason)?.[1]);
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(reason).toContain(store);

    const up = await kedgeVideo(['--stream', 'late-cam', '--source', 'test', '--duration', '1', '--endpoint', target.url, '--create', '--store', store, '--gop', '1', '--size', '160x120']);
    expect(up.code).toBe(0);
    const fragments = await listFragments(target.url, 'late-cam');
    expect(fragments.length).toBeGreaterThanOrEqual(kept + 1);
    expect(new Set(fragments.map((f) => f.ProducerTimestamp!.getTime())).size).toBe(fragments.length);
  });
});

describe('kedge video flags and bad input', () => {
  it('prints its usage with --help and exits 0', async () => {
    const run = await kedgeVideo(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: kedge video --stream NAME --source SOURCE/);
  });

  it('exits 2 with a one-line reason for each bad flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--source', 'test', '--endpoint', 'http://127.0.0.1:1'], /--stream NAME is required/],
      [['--stream', 'a', '--source', 'webcam', '--endpoint', 'http://127.0.0.1:1'], /--source "webcam" is not a known source/],
      [['--stream', 'a', '--source', 'test'], /--region is required/],
      [['--stream', 'a', '--source', 'test', '--endpoint', 'http://127.0.0.1:1', '--gop', '0.5'], /--gop 0.5: expected seconds from 1 to 20/],
      [['--stream', 'a', '--source', 'test', '--endpoint', 'http://127.0.0.1:1', '--frobnicate'], /frobnicate/],
    ];
    const runs = await Promise.all(cases.map(([args]) => kedgeVideo(args)));
    runs.forEach((run, i) => {
      expect(run.code, cases[i]![0].join(' ')).toBe(2);
      const lines = kedgeLines(run.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(cases[i]![1]);
    });
  });

  it('exits 1 with CAMERA_NOT_FOUND when the V4L2 device does not exist', async () => {
    const run = await kedgeVideo(['--stream', 'a', '--source', 'v4l2:/dev/video61', '--endpoint', 'http://127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(kedgeLines(run.stderr)).toEqual([expect.stringMatching(/No camera at \/dev\/video61.*\(CAMERA_NOT_FOUND\)$/)]);
  });

  it('parses every option into producer settings', () => {
    const flags = parseVideoFlags(
      ['--stream', 'cam', '--source', 'file:clip.mp4', '--region', 'eu-central-1', '--create', '--retention', '48', '--store', 'st', '--store-max-mb', '64', '--gop', '2', '--fps', '25', '--size', '1280x720', '--bitrate', '2000', '--loop', '--backlog', 'live-first', '--drain-timeout', '30', '--duration', '1.5'],
      '/home/pi',
    );
    expect(flags).toMatchObject({
      stream: 'cam',
      source: { kind: 'file', path: 'clip.mp4' },
      region: 'eu-central-1',
      create: { retentionHours: 48 },
      storeDir: '/home/pi/st',
      storeMaxBytes: 64 * 1024 * 1024,
      capture: { gopSeconds: 2, fps: 25, width: 1280, height: 720, bitrateKbps: 2000, loop: true },
      backlog: 'live-first',
      drainTimeoutMs: 30_000,
      durationMs: 1_500,
    });
  });
});

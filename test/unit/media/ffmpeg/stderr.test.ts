import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyToolStderr, LineSplitter, type ToolFailureKind } from '../../../../src/media/ffmpeg/stderr.js';
import { runTool } from '../../../../src/media/ffmpeg/run-tool.js';
import { closedPort, startRtspResponder, type RtspResponder } from '../../sources/camera/helpers/rtsp-responder.js';

/** Runs ffmpeg on `input` and returns the first failure its stderr names. */
async function failureOf(inputArgs: string[]): Promise<{ kind: ToolFailureKind | undefined; code: number | undefined; stderr: string }> {
  const result = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'warning', ...inputArgs, '-f', 'null', '-']);
  const kinds = result.stderr.split('\n').map((l) => classifyToolStderr(l)?.kind).filter((k) => k !== undefined);
  return { kind: kinds[0], code: result.code, stderr: result.stderr };
}

describe("reading the cause out of ffmpeg's stderr (real ffmpeg runs)", () => {
  let responder: RtspResponder | undefined;
  let httpServer: http.Server | undefined;
  afterEach(async () => {
    await responder?.close();
    responder = undefined;
    await new Promise<void>((resolve) => (httpServer ? httpServer.close(() => resolve()) : resolve()));
    httpServer = undefined;
  });

  it('names a missing file', async () => {
    expect(await failureOf(['-i', '/nonexistent/clip.mp4'])).toMatchObject({ kind: 'not-found', code: 1 });
  });

  it('names a missing V4L2 device', async () => {
    expect(await failureOf(['-f', 'v4l2', '-i', '/dev/video93'])).toMatchObject({ kind: 'not-found', code: 1 });
  });

  it('names a refused RTSP connection', async () => {
    const port = await closedPort();
    expect(await failureOf(['-rtsp_transport', 'tcp', '-timeout', '2000000', '-i', `rtsp://127.0.0.1:${port}/stream`])).toMatchObject({ kind: 'connection-refused', code: 1 });
  });

  it('names an RTSP path the camera does not have (DESCRIBE 404)', async () => {
    responder = await startRtspResponder('404 Not Found');
    const result = await failureOf(['-rtsp_transport', 'tcp', '-timeout', '2000000', '-i', responder.url('wrong/path')]);
    expect(result).toMatchObject({ kind: 'remote-not-found', code: 1 });
    expect(responder.requests.some((r) => r.startsWith('DESCRIBE'))).toBe(true);
  });

  it('names refused RTSP credentials (DESCRIBE 401)', async () => {
    responder = await startRtspResponder('401 Unauthorized');
    expect(await failureOf(['-rtsp_transport', 'tcp', '-timeout', '2000000', '-i', responder.url('live')])).toMatchObject({ kind: 'unauthorized', code: 1 });
  });

  it('names an HTTP 404', async () => {
    httpServer = http.createServer((_req, res) => res.writeHead(404).end('no'));
    await new Promise<void>((resolve) => httpServer!.listen(0, '127.0.0.1', resolve));
    const { port } = httpServer.address() as AddressInfo;
    expect(await failureOf(['-i', `http://127.0.0.1:${port}/cam.mp4`])).toMatchObject({ kind: 'remote-not-found', code: 1 });
  });

  it('names an option this ffmpeg does not know', async () => {
    expect(await failureOf(['-definitely_not_an_option', '1', '-f', 'lavfi', '-i', 'testsrc'])).toMatchObject({ kind: 'bad-command' });
  });

  it('leaves ordinary warnings unclassified', () => {
    expect(classifyToolStderr('[libx264 @ 0x55] using SAR=1/1')).toBeUndefined();
    expect(classifyToolStderr('frame=  120 fps= 30 q=-1.0 size=     512kB')).toBeUndefined();
  });

  it("names rpicam-vid's missing camera and dmaHeap permission errors", () => {
    expect(classifyToolStderr('ERROR: *** no cameras available ***')?.kind).toBe('not-found');
    expect(classifyToolStderr('ERROR: *** Could not open any dmaHeap device ***')?.kind).toBe('permission-denied');
  });
});

describe('stderr lines', () => {
  it('splits on \\n and \\r across chunk boundaries and keeps the unfinished tail', () => {
    const s = new LineSplitter();
    expect(s.push('first li')).toEqual([]);
    expect(s.push('ne\nsecond\rthi')).toEqual(['first line', 'second']);
    expect(s.end()).toEqual(['thi']);
  });

  it('bounds a line that never ends', () => {
    const s = new LineSplitter();
    s.push('x'.repeat(100_000));
    expect(s.end()[0]!.length).toBe(4096);
  });
});

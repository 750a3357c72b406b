/**
 * A tiny page server for the browser HLS test: `/` is a muted, autoplaying <video> that hls.js (served from
 * node_modules, no CDN) plays the playlist URL in `?src=` into, and `/hls.min.js` is hls.js itself. The page
 * records what hls.js and the video element report in `window.__result` (see PlayerReport) for the test to
 * read through the browser driver.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

/** What the page reports; fragment lists hold media sequence numbers (the init segment is left out). */
export interface PlayerReport {
  readonly hlsSupported: boolean;
  /** MediaSource.isTypeSupported for the level's codec string: false when the browser lacks H.264. */
  readonly codecSupported: boolean | null;
  readonly manifest: { readonly levels: { codecs: string; width: number; height: number }[] } | null;
  readonly level: { live: boolean; fragments: number; startSN: number; endSN: number; totalduration: number } | null;
  readonly loaded: number[];
  readonly parsed: number[];
  readonly buffered: number[];
  readonly appending: number;
  readonly errors: { type: string; details: string; fatal: boolean; reason: string | null }[];
  readonly playError: string | null;
  readonly mediaError: { code: number; message: string } | null;
  readonly currentTime: number;
  readonly bufferedRanges: [number, number][];
  /** getVideoPlaybackQuality().totalVideoFrames: frames the decoder produced, including dropped ones. */
  readonly decodedFrames: number;
  readonly droppedFrames: number;
  readonly ended: boolean;
}

export interface PlayerPages {
  /** The page playing `src` at `rate` times real time. */
  pageFor(src: string, rate?: number): string;
  close(): Promise<void>;
}

const hlsJsPath = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');

// Plain browser JavaScript (the project's TypeScript has no DOM types); it only records, never decides.
const PLAYER_SCRIPT = `
const params = new URLSearchParams(location.search);
const rate = Number(params.get('rate') || '1');
const video = document.querySelector('video');
const r = window.__result = {
  hlsSupported: Hls.isSupported(), codecSupported: null, manifest: null, level: null,
  loaded: [], parsed: [], buffered: [], appending: 0, errors: [], playError: null, mediaError: null,
  currentTime: 0, bufferedRanges: [], decodedFrames: 0, droppedFrames: 0, ended: false,
};
window.__snapshot = snapshot;
function snapshot() {
  r.currentTime = video.currentTime;
  r.bufferedRanges = [];
  for (let i = 0; i < video.buffered.length; i++) r.bufferedRanges.push([video.buffered.start(i), video.buffered.end(i)]);
  const q = video.getVideoPlaybackQuality();
  r.decodedFrames = q.totalVideoFrames;
  r.droppedFrames = q.droppedVideoFrames;
  r.ended = video.ended;
  r.mediaError = video.error ? { code: video.error.code, message: video.error.message } : null;
  return r;
}
const sn = (frag) => (typeof frag.sn === 'number' ? frag.sn : null);
const hls = new Hls();
hls.on(Hls.Events.MANIFEST_PARSED, (_, d) => {
  r.manifest = { levels: d.levels.map((l) => ({ codecs: l.videoCodec || '', width: l.width, height: l.height })) };
  const codec = d.levels[0] && d.levels[0].videoCodec;
  r.codecSupported = codec ? MediaSource.isTypeSupported('video/mp4; codecs="' + codec + '"') : null;
  video.play().catch((e) => { r.playError = String(e); });
});
hls.on(Hls.Events.LEVEL_LOADED, (_, d) => {
  const x = d.details;
  r.level = { live: x.live, fragments: x.fragments.length, startSN: x.startSN, endSN: x.endSN, totalduration: x.totalduration };
});
hls.on(Hls.Events.FRAG_LOADED, (_, d) => { if (sn(d.frag) !== null) r.loaded.push(d.frag.sn); });
hls.on(Hls.Events.FRAG_PARSED, (_, d) => { if (sn(d.frag) !== null) r.parsed.push(d.frag.sn); });
hls.on(Hls.Events.BUFFER_APPENDING, () => { r.appending++; });
hls.on(Hls.Events.FRAG_BUFFERED, (_, d) => { if (sn(d.frag) !== null) r.buffered.push(d.frag.sn); });
hls.on(Hls.Events.ERROR, (_, d) => {
  r.errors.push({ type: d.type, details: d.details, fatal: d.fatal, reason: d.reason || (d.error ? String(d.error) : null) });
});
video.addEventListener('loadedmetadata', () => { video.defaultPlaybackRate = rate; video.playbackRate = rate; });
for (const e of ['timeupdate', 'progress', 'ended', 'error', 'playing']) video.addEventListener(e, snapshot);
setInterval(snapshot, 100);
hls.loadSource(params.get('src'));
hls.attachMedia(video);
`;

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>kedge hls.js</title></head>
<body><video muted autoplay playsinline></video>
<script src="/hls.min.js"></script>
<script>${PLAYER_SCRIPT}</script>
</body></html>`;

export async function startPlayerPages(): Promise<PlayerPages> {
  const hlsJs = readFileSync(hlsJsPath);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (path === '/hls.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    pageFor: (src, rate = 1) => `${base}/?src=${encodeURIComponent(src)}&rate=${rate}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

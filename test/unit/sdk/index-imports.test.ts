/**
 * Importing `kedge` for the data producer must not load the video side (the Kinesis Video SDK client,
 * the camera supervisor, fluent-ffmpeg): on a 1 GB device those modules cost ~16 MB of RSS in a
 * process that never streams video. createVideoProducer loads them on its first call instead.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const INDEX = fileURLToPath(new URL('../../../src/index.ts', import.meta.url));
const HOOKS = new URL('../../helpers/record-resolved-modules.mjs', import.meta.url).href;

/** Imports the SDK index in a fresh node (through tsx), runs `then`, and returns every module URL resolved. */
function modulesLoadedBy(then: string): string[] {
  const script = `
    import { register } from 'node:module';
    import { MessageChannel } from 'node:worker_threads';
    const { port1, port2 } = new MessageChannel();
    const urls = [];
    port1.on('message', (url) => urls.push(url));
    register(${JSON.stringify(HOOKS)}, { data: { port: port2 }, transferList: [port2] });
    const kedge = await import(${JSON.stringify(INDEX)});
    ${then}
    await new Promise((resolve) => setTimeout(resolve, 200));
    port1.close();
    process.stdout.write(JSON.stringify(urls));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(out) as string[];
}

const VIDEO_SIDE = /client-kinesis-video|fluent-ffmpeg|sources\/camera|sinks\/kinesis-video|video-producer/;

describe('the kedge SDK index', () => {
  it('loads the data producer without any of the video side', () => {
    const urls = modulesLoadedBy('if (typeof kedge.createProducer !== "function") throw new Error("no createProducer");');
    expect(urls.some((url) => url.includes('pipeline/producer'))).toBe(true);
    expect(urls.filter((url) => VIDEO_SIDE.test(url))).toEqual([]);
  });

  it('loads the video side on the first createVideoProducer call', () => {
    // A source that does not exist fails fast, after the video modules are loaded.
    const urls = modulesLoadedBy('await kedge.createVideoProducer({ stream: "s", source: "file:/nonexistent/kedge.h264" }).then(() => { throw new Error("opened"); }, (e) => { if (e.code === undefined) throw e; });');
    expect(urls.some((url) => /sinks\/kinesis-video/.test(url))).toBe(true);
    expect(urls.some((url) => /client-kinesis-video/.test(url))).toBe(true);
  });
});

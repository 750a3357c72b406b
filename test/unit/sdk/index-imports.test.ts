/**
 * Importing `kedge` for the data producer must not load the video side (the Kinesis Video SDK client,
 * the camera supervisor, fluent-ffmpeg): on a 1 GB device those modules cost ~16 MB of RSS in a
 * process that never streams video. createVideoProducer loads them on its first call instead.
 * And a Kinesis producer delivering records must not load an AWS SDK client, its HTTP handler or the
 * credential providers when it is given its region, endpoint and keys (≈ 16 MB of RSS).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION, type TestTarget } from '../../helpers/target.js';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';

const INDEX = fileURLToPath(new URL('../../../src/index.ts', import.meta.url));
const HOOKS = new URL('../../helpers/record-resolved-modules.mjs', import.meta.url).href;

/**
 * Imports the SDK index in a fresh node (through tsx), runs `then`, and returns every module URL resolved.
 * Asynchronously: the in-process target of the delivery test must go on answering meanwhile.
 */
async function modulesLoadedBy(then: string): Promise<string[]> {
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
  const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(out) as string[];
}

const VIDEO_SIDE = /client-kinesis-video|fluent-ffmpeg|sources\/camera|sinks\/kinesis-video|video-producer/;
// @smithy/core/config resolves to .../@smithy/core/dist-es|dist-cjs/submodules/config/...
const SDK_CLIENT_SIDE = /@aws-sdk\/client-|@aws-sdk\/credential-provider|@smithy\/node-http-handler|@smithy\/core\/(config|dist-[a-z]+\/submodules\/config)/;

describe('a Kinesis or Firehose producer delivering records', () => {
  let target: TestTarget;

  beforeAll(async () => {
    target = await startTestTarget({ memory: true });
    await target.kinesis.send(new CreateStreamCommand({ StreamName: 'imports', ShardCount: 2 }));
    await target.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'imports',
        ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/f', BucketARN: 'arn:aws:s3:::kedge-bucket' },
      }),
    );
  });
  afterAll(() => target.close());

  it.each([
    ['Kinesis', { type: 'kinesis', streamName: 'imports' }, 'sinks/kinesis/transport'],
    ['Firehose', { type: 'firehose', deliveryStreamName: 'imports' }, 'sinks/firehose/transport'],
  ])('%s: loads no AWS SDK client, HTTP handler or credential provider when given region, endpoint and keys', async (_name, sink, transport) => {
    const options = { sink, aws: { endpoint: target.url, region: TEST_REGION, credentials: TEST_CREDENTIALS }, spool: { memory: true } };
    const urls = await modulesLoadedBy(`
      const producer = await kedge.createProducer(${JSON.stringify(options)});
      for (let i = 0; i < 100; i++) await producer.put({ i }, { partitionKey: 'k' + i });
      await producer.flush();
      if (producer.stats().delivered !== 100) throw new Error('not delivered: ' + JSON.stringify(producer.stats()));
      await producer.close();
    `);
    expect(urls.some((url) => url.includes(transport))).toBe(true);
    expect(urls.filter((url) => SDK_CLIENT_SIDE.test(url))).toEqual([]);
  });
});

describe('the kedge SDK index', () => {
  it('loads the data producer without any of the video side', async () => {
    const urls = await modulesLoadedBy('if (typeof kedge.createProducer !== "function") throw new Error("no createProducer");');
    expect(urls.some((url) => url.includes('pipeline/producer'))).toBe(true);
    expect(urls.filter((url) => VIDEO_SIDE.test(url))).toEqual([]);
  });

  it('loads the video side on the first createVideoProducer call', async () => {
    // A source that does not exist fails fast, after the video modules are loaded.
    const urls = await modulesLoadedBy('await kedge.createVideoProducer({ stream: "s", source: "file:/nonexistent/kedge.h264" }).then(() => { throw new Error("opened"); }, (e) => { if (e.code === undefined) throw e; });');
    expect(urls.some((url) => /sinks\/kinesis-video/.test(url))).toBe(true);
    expect(urls.some((url) => /client-kinesis-video/.test(url))).toBe(true);
  });
});

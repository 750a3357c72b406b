/**
 * The Kinesis and Firehose transports' two ways of sending (our own signed requests; an SDK client when
 * the application brings a request handler) and the edges around them: signatures a verifying target
 * accepts, error answers, a ListShards answer with JSON nulls, and destroy() around the SDK path's load.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it, vi } from 'vitest';
import { classifyError } from '../../../../src/retry/classify.js';
import { FirehoseTransport } from '../../../../src/sinks/firehose/transport.js';
import { LazySdkPath } from '../../../../src/sinks/kinesis/lazy-sdk.js';
import { directClientFor } from '../../../../src/sinks/kinesis/location.js';
import { KINESIS_SERVICE } from '../../../../src/sinks/kinesis/services.js';
import { KinesisTransport, parseListShardsAnswer } from '../../../../src/sinks/kinesis/transport.js';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION } from '../../../helpers/target.js';
import { waitForActive } from '../../../peers/differential.js';

describe('a ListShards answer', () => {
  it('drops JSON nulls as the SDK does: an open shard is not read as closed, null list members vanish', () => {
    const answer = Buffer.from(
      JSON.stringify({
        NextToken: null,
        Shards: [
          { ShardId: 'shardId-000000000000', ParentShardId: null, HashKeyRange: { StartingHashKey: '0', EndingHashKey: '9' }, SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: null } },
          null,
        ],
      }),
    );
    const output = parseListShardsAnswer(answer);
    expect(output.NextToken).toBeUndefined();
    expect(output.Shards).toHaveLength(1);
    expect(output.Shards![0]!.SequenceNumberRange).toEqual({ StartingSequenceNumber: '1' });
    expect('ParentShardId' in output.Shards![0]!).toBe(false);
  });

  it('reads an answer that is not an object as an empty page', () => {
    expect(parseListShardsAnswer(Buffer.from('null'))).toEqual({});
    expect(parseListShardsAnswer(Buffer.from('[]'))).toEqual({});
  });
});

describe('our own signed requests', () => {
  it('are accepted by a target that verifies SigV4, for Kinesis and Firehose; a wrong secret is a configuration error', async () => {
    const key = { accessKeyId: 'AKIDSIGNED', secretAccessKey: 'signed-secret' };
    const target = await startTestTarget({ memory: true, auth: [key] });
    try {
      await target.kinesis.send(new CreateStreamCommand({ StreamName: 'signed', ShardCount: 1 }));
      await waitForActive(target.kinesis, 'signed');
      await target.firehose.send(
        new CreateDeliveryStreamCommand({ DeliveryStreamName: 'signed', ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/f', BucketARN: 'arn:aws:s3:::kedge-bucket' } }),
      );
      const aws = { endpoint: target.url, region: TEST_REGION, credentials: key };
      const kinesis = new KinesisTransport({ streamName: 'signed', aws });
      const firehose = new FirehoseTransport({ deliveryStreamName: 'signed', aws });
      const wrong = new FirehoseTransport({ deliveryStreamName: 'signed', aws: { ...aws, credentials: { ...key, secretAccessKey: 'not-it' } } });
      try {
        expect(await kinesis.send([{ data: Buffer.from('k'), partitionKey: 'p', explicitHashKey: undefined }])).toEqual([{ ok: true, shardId: 'shardId-000000000000' }]);
        expect(await kinesis.listShards()).toHaveLength(1);
        expect(await firehose.send([{ data: Buffer.from('f1') }, { data: Buffer.from('f2') }])).toEqual([{ ok: true }, { ok: true }]);
        const error = await wrong.send([{ data: Buffer.from('x') }]).catch((e: unknown) => e);
        expect(error).toMatchObject({ name: 'InvalidSignatureException' }); // Firehose's name for it, as AWS answers
        expect(classifyError(error).errorClass).toBe('configuration');
      } finally {
        for (const t of [kinesis, firehose, wrong]) t.destroy();
      }
    } finally {
      await target.close();
    }
  });
});

describe('the SDK path', () => {
  it('destroys the client it made, with its request handler, when destroy() ran while the client was still loading', async () => {
    const handler = { handle: vi.fn(), destroy: vi.fn() };
    const t = new KinesisTransport({
      streamName: 's',
      aws: { endpoint: 'http://127.0.0.1:9', region: TEST_REGION, credentials: TEST_CREDENTIALS, requestHandler: handler },
    });
    const sending = t.send([{ data: Buffer.from('x'), partitionKey: 'k', explicitHashKey: undefined }]);
    t.destroy();
    await expect(sending).rejects.toThrow(/destroyed/);
    expect(handler.destroy).toHaveBeenCalled();
    expect(handler.handle).not.toHaveBeenCalled();
  });
});

describe('the lazily loaded SDK path', () => {
  const fakeClient = () => ({ destroy: vi.fn() });

  it('loads once for concurrent callers, tries a failed load again, and never destroys a client it did not make', async () => {
    const client = fakeClient();
    let loads = 0;
    const path = new LazySdkPath(async () => {
      loads++;
      if (loads === 1) throw new Error('import failed');
      return { client, owned: false, calls: {} };
    }, 'test');
    await expect(path.get()).rejects.toThrow('import failed');
    const [a, b] = await Promise.all([path.get(), path.get()]);
    expect(a.client).toBe(client);
    expect(b.client).toBe(client);
    expect(loads).toBe(2);
    path.destroy();
    expect(client.destroy).not.toHaveBeenCalled();
  });

  it('destroys the client it made once, and refuses to load after destroy()', async () => {
    const client = fakeClient();
    let loads = 0;
    const path = new LazySdkPath(async () => {
      loads++;
      return { client, owned: true, calls: {} };
    }, 'test');
    await path.get();
    path.destroy();
    path.destroy();
    expect(client.destroy).toHaveBeenCalledTimes(1);
    await expect(path.get()).rejects.toThrow(/destroyed/);
    expect(loads).toBe(1);
  });
});

describe('the Firehose SDK path', () => {
  it("sends through an SDK client built around the application's request handler, with the same outcomes", async () => {
    const target = await startTestTarget({ memory: true });
    try {
      await target.firehose.send(
        new CreateDeliveryStreamCommand({ DeliveryStreamName: 'via-sdk', ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/f', BucketARN: 'arn:aws:s3:::kedge-bucket' } }),
      );
      const { NodeHttpHandler } = await import('@smithy/node-http-handler');
      const handler = new NodeHttpHandler();
      const handle = vi.spyOn(handler, 'handle');
      const t = new FirehoseTransport({ deliveryStreamName: 'via-sdk', aws: { endpoint: target.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, requestHandler: handler } });
      try {
        expect(await t.send([{ data: Buffer.from('a') }, { data: Buffer.from('b') }])).toEqual([{ ok: true }, { ok: true }]);
        expect(handle).toHaveBeenCalledTimes(1);
      } finally {
        t.destroy();
      }
    } finally {
      await target.close();
    }
  });
});

describe('error answers to our own requests', () => {
  it('are named where and as the SDK names them: the header first, then `code`, then `__type`, cut at `,` `:` and `#`', async () => {
    const answers: Array<[number, Record<string, string>, string]> = [
      [400, { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/' }, '{"__type":"Other"}'],
      [400, {}, '{"code":"KMSThrottlingException","__type":"Other"}'],
      [400, {}, '{"__type":"com.amazonaws.kinesis.v20131202#ProvisionedThroughputExceededException","message":"Rate exceeded"}'],
      [400, {}, '{"__type":"LimitExceededException,SomethingElse"}'],
      [503, {}, '<html>Service Unavailable</html>'],
      [400, {}, 'null'],
    ];
    let next = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const [status, headers, body] = answers[next++]!;
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...headers });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = directClientFor(KINESIS_SERVICE, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: TEST_REGION, credentials: TEST_CREDENTIALS }, 1);
    try {
      const names: string[] = [];
      for (let i = 0; i < answers.length; i++) {
        const error = (await client.call('PutRecords', Buffer.from('{}'), 5_000).catch((e: unknown) => e)) as { name: string; $fault: string };
        names.push(`${error.name}/${error.$fault}`);
      }
      expect(names).toEqual([
        'ThrottlingException/client',
        'KMSThrottlingException/client',
        'ProvisionedThroughputExceededException/client',
        'LimitExceededException/client',
        'HTTP 503/server',
        'HTTP 400/client',
      ]);
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

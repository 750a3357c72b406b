/**
 * The Kinesis transport's two ways of sending (our own requests; an SDK client when the application
 * brings a request handler) and the edges around them: a ListShards answer with JSON nulls, and
 * destroy() while the SDK path is still loading.
 */
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it, vi } from 'vitest';
import { classifyError } from '../../../../src/retry/classify.js';
import { FirehoseTransport } from '../../../../src/sinks/firehose/transport.js';
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

/**
 * The Kinesis transport's two ways of sending (our own requests; an SDK client when the application
 * brings a request handler) and the edges around them: a ListShards answer with JSON nulls, and
 * destroy() while the SDK path is still loading.
 */
import { describe, expect, it, vi } from 'vitest';
import { KinesisTransport, parseListShardsAnswer } from '../../../../src/sinks/kinesis/transport.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../../../helpers/target.js';

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

/**
 * Differential test of the control plane: stream lifecycle, descriptions, listings, tags, retention and
 * resharding, run with the same SDK calls against our target, kinesalite and kinesis-local. Shapes (keys and
 * value types) are compared, not values that legitimately differ (timestamps, sequence numbers). Where AWS and a
 * peer differ, our target is held to AWS (reference/ingest.md) and the peer's deviation is asserted and explained.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  ListShardsCommand,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  MergeShardsCommand,
  PutRecordCommand,
  RemoveTagsFromStreamCommand,
  SplitShardCommand,
  UpdateShardCountCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { evenSplit, HASH_SPACE, outcome, shapeMinus, shapeOf, waitForActive, errorSummary } from '../peers/differential.js';
import { pollUntil } from '../peers/child.js';
import { startDifferentialTargets, type DifferentialTarget, type DifferentialTargets } from '../peers/targets.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

let targets: DifferentialTargets;

beforeAll(async () => {
  targets = await startDifferentialTargets();
}, 90_000);

afterAll(async () => {
  await targets?.close();
});

/** Runs `body` for every target at once and returns the results by target name. */
async function onEach<T>(body: (t: DifferentialTarget) => Promise<T>): Promise<Map<string, T>> {
  const entries = await Promise.all(targets.all.map(async (t) => [t.name, await body(t)] as const));
  return new Map(entries);
}

async function createActive(t: DifferentialTarget, name: string, shardCount: number): Promise<void> {
  await t.client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  await waitForActive(t.client, name);
}

function ranges(shards: readonly Shard[] | undefined): Array<{ StartingHashKey: string; EndingHashKey: string }> {
  return (shards ?? []).map((s) => ({ StartingHashKey: s.HashKeyRange?.StartingHashKey ?? '', EndingHashKey: s.HashKeyRange?.EndingHashKey ?? '' }));
}

/** The part of a shard list that must agree across implementations: ids, lineage, ranges, open or closed. */
function lineage(shards: readonly Shard[] | undefined): unknown[] {
  return (shards ?? []).map((s) => ({
    ShardId: s.ShardId,
    ParentShardId: s.ParentShardId,
    AdjacentParentShardId: s.AdjacentParentShardId,
    range: `${s.HashKeyRange?.StartingHashKey}..${s.HashKeyRange?.EndingHashKey}`,
    closed: s.SequenceNumberRange?.EndingSequenceNumber !== undefined,
  }));
}

describe('stream descriptions, compared with kinesalite and kinesis-local', () => {
  it.each([1, 2, 3, 4])('splits the hash key space of a new %i-shard stream evenly into contiguous ranges, as AWS does', async (n) => {
    const name = `diff-split-${n}`;
    const described = await onEach(async (t) => {
      await createActive(t, name, n);
      return (await t.client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription;
    });
    for (const [peer, d] of described) {
      // kinesis-local slices ⌊(2^128−1)/n⌋, one key below AWS's ⌊2^128/n⌋ for n = 2 and 4 (reference/ingest.md §2).
      expect(ranges(d?.Shards), peer).toEqual(evenSplit(n, peer !== 'kinesis-local'));
      expect(d?.Shards?.map((s) => s.ShardId), peer).toEqual(Array.from({ length: n }, (_, i) => `shardId-${String(i).padStart(12, '0')}`));
      for (const shard of d?.Shards ?? []) {
        expect(shard.SequenceNumberRange?.StartingSequenceNumber, peer).toMatch(/^(0|[1-9]\d{0,128})$/);
        expect(shard.SequenceNumberRange?.EndingSequenceNumber, peer).toBeUndefined();
        expect(shard.ParentShardId, peer).toBeUndefined();
      }
    }
  });

  it('describes a stream with the keys and values AWS returns', async () => {
    const name = 'diff-describe';
    const described = await onEach(async (t) => {
      await createActive(t, name, 2);
      return t.client.send(new DescribeStreamCommand({ StreamName: name }));
    });
    const ours = described.get('kedge')?.StreamDescription;
    expect(ours).toMatchObject({
      StreamName: name,
      StreamARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`,
      StreamStatus: 'ACTIVE',
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      HasMoreShards: false,
      RetentionPeriodHours: 24,
      EncryptionType: 'NONE',
    });
    expect(ours?.StreamCreationTimestamp).toBeInstanceOf(Date);
    const oursShape = shapeOf(described.get('kedge'));
    // kinesis-local models the full AWS shape; kinesalite predates on-demand streams (no StreamModeDetails).
    expect(shapeMinus(oursShape, shapeOf(described.get('kinesis-local')))).toEqual([]);
    expect(shapeMinus(shapeOf(described.get('kinesis-local')), oursShape)).toEqual([]);
    expect(shapeMinus(oursShape, shapeOf(described.get('kinesalite')))).toEqual([
      'StreamDescription.StreamModeDetails.StreamMode:string',
      'StreamDescription.StreamModeDetails:object',
    ]);
    expect(shapeMinus(shapeOf(described.get('kinesalite')), oursShape)).toEqual([]);
  });

  it('summarises a stream with the keys AWS returns, counting open shards', async () => {
    const name = 'diff-summary';
    const summaries = await onEach(async (t) => {
      await createActive(t, name, 3);
      return t.client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    });
    for (const [peer, s] of summaries) {
      expect(s.StreamDescriptionSummary, peer).toMatchObject({ StreamName: name, StreamStatus: 'ACTIVE', OpenShardCount: 3, RetentionPeriodHours: 24, ConsumerCount: 0 });
    }
    const oursShape = shapeOf(summaries.get('kedge'));
    expect(oursShape).toContain('StreamDescriptionSummary.StreamModeDetails.StreamMode:string');
    expect(shapeMinus(oursShape, shapeOf(summaries.get('kinesis-local')))).toEqual([]);
    expect(shapeMinus(shapeOf(summaries.get('kinesis-local')), oursShape)).toEqual([]);
    expect(shapeMinus(oursShape, shapeOf(summaries.get('kinesalite')))).toEqual([
      'StreamDescriptionSummary.StreamModeDetails.StreamMode:string',
      'StreamDescriptionSummary.StreamModeDetails:object',
    ]);
  });

  it('lists streams by name and, as AWS has since 2022, with StreamSummaries', async () => {
    const names = ['diff-list-a', 'diff-list-b'];
    const listed = await onEach(async (t) => {
      for (const name of names) await createActive(t, name, 1);
      return t.client.send(new ListStreamsCommand({}));
    });
    for (const [peer, l] of listed) {
      expect(l.StreamNames, peer).toEqual(expect.arrayContaining(names));
      expect(l.HasMoreStreams, peer).toBe(false);
    }
    const ours = listed.get('kedge');
    const summary = ours?.StreamSummaries?.find((s) => s.StreamName === 'diff-list-a');
    expect(summary).toMatchObject({
      StreamName: 'diff-list-a',
      StreamARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/diff-list-a`,
      StreamStatus: 'ACTIVE',
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
    expect(summary?.StreamCreationTimestamp).toBeInstanceOf(Date);
    // Neither peer returns StreamSummaries (added to the API in 2022).
    expect(listed.get('kinesalite')?.StreamSummaries).toBeUndefined();
    expect(listed.get('kinesis-local')?.StreamSummaries).toBeUndefined();
  });

  it('lists shards with the same shape as DescribeStream lists them', async () => {
    const name = 'diff-list-shards';
    const listed = await onEach(async (t) => {
      await createActive(t, name, 2);
      const shards = await t.client.send(new ListShardsCommand({ StreamName: name }));
      const described = await t.client.send(new DescribeStreamCommand({ StreamName: name }));
      return { shards, described };
    });
    const oursShape = shapeOf(listed.get('kedge')?.shards);
    for (const [peer, { shards, described }] of listed) {
      expect(shards.Shards, peer).toEqual(described.StreamDescription?.Shards);
      expect(shards.NextToken, peer).toBeUndefined();
      expect([...shapeOf(shards)].sort(), peer).toEqual([...oursShape].sort());
    }
  });

  it('pages ListShards with MaxResults and NextToken', async () => {
    const name = 'diff-list-shards-pages';
    const pages = await onEach(async (t) => {
      await createActive(t, name, 4);
      const first = await t.client.send(new ListShardsCommand({ StreamName: name, MaxResults: 3 }));
      const second = first.NextToken === undefined ? undefined : await t.client.send(new ListShardsCommand({ NextToken: first.NextToken, MaxResults: 3 }));
      return { first: first.Shards?.map((s) => s.ShardId), token: first.NextToken, second: second?.Shards?.map((s) => s.ShardId), end: second?.NextToken };
    });
    for (const [peer, p] of pages) {
      if (peer === 'kinesalite') {
        // kinesalite ignores MaxResults and returns every shard in one page.
        expect(p).toEqual({ first: ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003'], token: undefined, second: undefined, end: undefined });
        continue;
      }
      expect(p.first, peer).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
      expect(p.token, peer).toEqual(expect.any(String));
      expect(p.second, peer).toEqual(['shardId-000000000003']);
      expect(p.end, peer).toBeUndefined();
    }
  });

  it('pages DescribeStream with Limit and ExclusiveStartShardId', async () => {
    const name = 'diff-describe-pages';
    const pages = await onEach(async (t) => {
      await createActive(t, name, 3);
      const first = (await t.client.send(new DescribeStreamCommand({ StreamName: name, Limit: 2 }))).StreamDescription;
      const rest = (await t.client.send(new DescribeStreamCommand({ StreamName: name, Limit: 2, ExclusiveStartShardId: first?.Shards?.at(-1)?.ShardId })))
        .StreamDescription;
      return { first: first?.Shards?.map((s) => s.ShardId), more: first?.HasMoreShards, rest: rest?.Shards?.map((s) => s.ShardId), restMore: rest?.HasMoreShards };
    });
    for (const [peer, p] of pages) {
      if (peer === 'kinesalite') {
        // kinesalite ignores Limit and ExclusiveStartShardId: every call lists every shard, HasMoreShards false.
        const all = ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002'];
        expect(p).toEqual({ first: all, more: false, rest: all, restMore: false });
        continue;
      }
      expect(p, peer).toEqual({ first: ['shardId-000000000000', 'shardId-000000000001'], more: true, rest: ['shardId-000000000002'], restMore: false });
    }
  });

  it('adds, lists and removes tags', async () => {
    const name = 'diff-tags';
    const seen = await onEach(async (t) => {
      await createActive(t, name, 1);
      await t.client.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { team: 'edge', env: 'test' } }));
      const both = await t.client.send(new ListTagsForStreamCommand({ StreamName: name }));
      await t.client.send(new RemoveTagsFromStreamCommand({ StreamName: name, TagKeys: ['team'] }));
      const one = await t.client.send(new ListTagsForStreamCommand({ StreamName: name }));
      return { both, one };
    });
    for (const [peer, { both, one }] of seen) {
      expect(both.Tags?.slice().sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? '')), peer).toEqual([
        { Key: 'env', Value: 'test' },
        { Key: 'team', Value: 'edge' },
      ]);
      expect(both.HasMoreTags, peer).toBe(false);
      expect(one.Tags, peer).toEqual([{ Key: 'env', Value: 'test' }]);
    }
  });

  it('raises and lowers the retention period and reports it in DescribeStreamSummary', async () => {
    const name = 'diff-retention';
    const seen = await onEach(async (t) => {
      await createActive(t, name, 1);
      await t.client.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }));
      const raised = (await t.client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.RetentionPeriodHours;
      await t.client.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 24 }));
      const lowered = (await t.client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.RetentionPeriodHours;
      const max = await outcome(t.client, new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 8760 }));
      return { raised, lowered, max };
    });
    for (const [peer, { raised, lowered, max }] of seen) {
      expect([raised, lowered], peer).toEqual([48, 24]);
      // AWS allows 8760 hours (365 days) since 2020; kinesalite still caps at 168 with a ValidationException.
      expect(errorSummary(max), peer).toEqual(peer === 'kinesalite' ? { status: 400, name: 'ValidationException' } : { status: 200, name: '(succeeded)' });
    }
  });

  it('addresses a stream by StreamARN as well as by name', async () => {
    const name = 'diff-arn';
    const arn = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`;
    const seen = await onEach(async (t) => {
      await createActive(t, name, 1);
      const put = await outcome(t.client, new PutRecordCommand({ StreamARN: arn, PartitionKey: 'k', Data: Buffer.from('by arn') }));
      const summary = await outcome(t.client, new DescribeStreamSummaryCommand({ StreamARN: arn }));
      return { put, summary };
    });
    for (const [peer, { put, summary }] of seen) {
      // kinesalite requires StreamName in every call (its validation says 'streamName' must not be null).
      const expected = peer === 'kinesalite' ? { status: 400, name: 'ValidationException' } : { status: 200, name: '(succeeded)' };
      expect(errorSummary(put), peer).toEqual(expected);
      expect(errorSummary(summary), peer).toEqual(expected);
    }
  });

  it('deletes a stream, after which it is not found', async () => {
    const name = 'diff-delete';
    const seen = await onEach(async (t) => {
      await createActive(t, name, 1);
      const deleted = await outcome(t.client, new DeleteStreamCommand({ StreamName: name }));
      let last = await outcome(t.client, new DescribeStreamSummaryCommand({ StreamName: name }));
      // AWS shows DELETING for a while; every implementation must end at ResourceNotFoundException.
      await pollUntil(
        async () => {
          last = await outcome(t.client, new DescribeStreamSummaryCommand({ StreamName: name }));
          return !last.ok;
        },
        { timeoutMs: 10_000, describe: () => `${t.name}: ${name} still described after DeleteStream` },
      );
      const listed = await t.client.send(new ListStreamsCommand({}));
      return { deleted, last, listed };
    });
    for (const [peer, { deleted, last, listed }] of seen) {
      expect(errorSummary(deleted), peer).toEqual({ status: 200, name: '(succeeded)' });
      expect(errorSummary(last), peer).toEqual({ status: 400, name: 'ResourceNotFoundException' });
      expect(listed.StreamNames, peer).not.toContain(name);
    }
  });
});

describe('resharding, compared with kinesalite and kinesis-local', () => {
  const half = HASH_SPACE / 2n;

  /** A one-shard stream holding one record, split at the middle of the key space. */
  async function splitInHalf(t: DifferentialTarget, name: string): Promise<void> {
    await createActive(t, name, 1);
    await t.client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'before split', Data: Buffer.from('x') }));
    await t.client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: String(half) }));
    await waitForActive(t.client, name);
  }

  it('splits a shard into two children that cover its range and closes the parent', async () => {
    const name = 'diff-split';
    const seen = await onEach(async (t) => {
      await splitInHalf(t, name);
      return (await t.client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription;
    });
    const max = String(HASH_SPACE - 1n);
    for (const [peer, d] of seen) {
      expect(lineage(d?.Shards), peer).toEqual([
        { ShardId: 'shardId-000000000000', ParentShardId: undefined, AdjacentParentShardId: undefined, range: `0..${max}`, closed: true },
        { ShardId: 'shardId-000000000001', ParentShardId: 'shardId-000000000000', AdjacentParentShardId: undefined, range: `0..${half - 1n}`, closed: false },
        { ShardId: 'shardId-000000000002', ParentShardId: 'shardId-000000000000', AdjacentParentShardId: undefined, range: `${half}..${max}`, closed: false },
      ]);
      const parent = d?.Shards?.[0]?.SequenceNumberRange;
      if (peer === 'kinesis-local') {
        // kinesis-local closes a shard with Long.MAX_VALUE, which is below its own starting sequence numbers.
        expect(parent?.EndingSequenceNumber).toBe('9223372036854775807');
      } else {
        expect(BigInt(parent?.EndingSequenceNumber ?? '0'), peer).toBeGreaterThan(BigInt(parent?.StartingSequenceNumber ?? '0'));
      }
    }
  });

  it('merges two adjacent shards into one child whose parents are both', async () => {
    const name = 'diff-merge';
    const seen = await onEach(async (t) => {
      await splitInHalf(t, name);
      await t.client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: 'shardId-000000000001', AdjacentShardToMerge: 'shardId-000000000002' }));
      await waitForActive(t.client, name);
      const described = (await t.client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription;
      const summary = (await t.client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
      return { described, summary };
    });
    for (const [peer, { described, summary }] of seen) {
      const shards = lineage(described?.Shards);
      expect(shards.slice(1), peer).toEqual([
        { ShardId: 'shardId-000000000001', ParentShardId: 'shardId-000000000000', AdjacentParentShardId: undefined, range: `0..${half - 1n}`, closed: true },
        { ShardId: 'shardId-000000000002', ParentShardId: 'shardId-000000000000', AdjacentParentShardId: undefined, range: `${half}..${HASH_SPACE - 1n}`, closed: true },
        {
          ShardId: 'shardId-000000000003',
          ParentShardId: 'shardId-000000000001',
          AdjacentParentShardId: 'shardId-000000000002',
          range: `0..${HASH_SPACE - 1n}`,
          closed: false,
        },
      ]);
      expect(summary?.OpenShardCount, peer).toBe(1);
    }
  });

  it('changes the shard count with UpdateShardCount (which kinesalite does not implement)', async () => {
    const stream = 'diff-update-shard-count';
    const seen = await onEach(async (t) => {
      await createActive(t, stream, 2);
      const updated = await outcome(t.client, new UpdateShardCountCommand({ StreamName: stream, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
      if (!updated.ok) return { updated, open: undefined };
      await waitForActive(t.client, stream);
      const open = (await t.client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.OpenShardCount;
      return { updated, open };
    });
    for (const [peer, { updated, open }] of seen) {
      if (peer === 'kinesalite') {
        expect(errorSummary(updated)).toEqual({ status: 400, name: 'UnknownOperationException' });
        continue;
      }
      expect(errorSummary(updated), peer).toEqual({ status: 200, name: '(succeeded)' });
      expect(updated.ok && updated.output, peer).toMatchObject({ StreamName: stream, CurrentShardCount: 2, TargetShardCount: 4 });
      expect(open, peer).toBe(4);
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../../../src/ingest/server/service-error.js';
import { openStreamsService } from '../../../../src/ingest/streams/service.js';
import { ManualClock } from '../../../helpers/manual-clock.js';
import { seededRng } from '../../../helpers/seeded-rng.js';
import { ACCOUNT, b64, openHarness, ROLE, s3Stream, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => h?.close());

async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ServiceError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('Firehose control plane', () => {
  it('creates a stream that is ACTIVE at once and describes it in AWS shape', async () => {
    h = await openHarness();
    const out = await h.call('CreateDeliveryStream', s3Stream('orders', { Prefix: 'orders/', CompressionFormat: 'GZIP' }, { Tags: [{ Key: 'team', Value: 'edge' }] }));
    expect(out).toEqual({ DeliveryStreamARN: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/orders` });
    const { DeliveryStreamDescription: d } = await h.call('DescribeDeliveryStream', { DeliveryStreamName: 'orders' });
    expect(d).toMatchObject({
      DeliveryStreamName: 'orders',
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      VersionId: '1',
      HasMoreDestinations: false,
      Destinations: [
        {
          DestinationId: 'destinationId-000000000001',
          ExtendedS3DestinationDescription: { BucketARN: 'arn:aws:s3:::bucket', Prefix: 'orders/', CompressionFormat: 'GZIP', RoleARN: ROLE },
          S3DestinationDescription: { BucketARN: 'arn:aws:s3:::bucket' },
        },
      ],
    });
    expect(typeof d.CreateTimestamp).toBe('number');
    expect(await h.call('ListTagsForDeliveryStream', { DeliveryStreamName: 'orders' })).toEqual({ Tags: [{ Key: 'team', Value: 'edge' }], HasMoreTags: false });
  });

  it('refuses a second stream of the same name with ResourceInUseException', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('dup'));
    const err = await rejection(h.call('CreateDeliveryStream', s3Stream('dup')));
    expect(err.type).toBe('ResourceInUseException');
    expect(err.message).toBe(`Firehose dup under account ${ACCOUNT} already exists.`);
  });

  it("answers ResourceNotFoundException with AWS's message for an unknown stream", async () => {
    h = await openHarness();
    for (const op of ['DescribeDeliveryStream', 'DeleteDeliveryStream', 'PutRecord', 'PutRecordBatch', 'ListTagsForDeliveryStream']) {
      const err = await rejection(h.call(op, { DeliveryStreamName: 'nope', Record: { Data: b64('x') }, Records: [{ Data: b64('x') }] }));
      expect(err.type).toBe('ResourceNotFoundException');
      expect(err.message).toBe(`Firehose nope under account ${ACCOUNT} not found.`);
    }
  });

  it('reports model constraint violations as one ValidationException', async () => {
    h = await openHarness();
    const err = await rejection(h.call('CreateDeliveryStream', s3Stream('bad name!', { BufferingHints: { SizeInMBs: 200, IntervalInSeconds: 901 } })));
    expect(err.type).toBe('ValidationException');
    expect(err.message).toMatch(/^1 validation error detected: Value 'bad name!' at 'deliveryStreamName' failed to satisfy constraint/);
    const hints = await rejection(h.call('CreateDeliveryStream', s3Stream('ok', { BufferingHints: { SizeInMBs: 200, IntervalInSeconds: 901 } })));
    expect(hints.message).toMatch(/^2 validation errors detected: .*sizeInMBs.*less than or equal to 128.*intervalInSeconds.*less than or equal to 900/);
  });

  it('rejects destinations and prefixes it cannot honour with InvalidArgumentException that says what to use', async () => {
    h = await openHarness();
    const none = await rejection(h.call('CreateDeliveryStream', { DeliveryStreamName: 'x' }));
    expect(none.type).toBe('InvalidArgumentException');
    const redshift = await rejection(h.call('CreateDeliveryStream', { DeliveryStreamName: 'x', RedshiftDestinationConfiguration: {} }));
    expect(redshift.message).toMatch(/RedshiftDestinationConfiguration is not supported.*ExtendedS3DestinationConfiguration/);
    const noErrorPrefix = await rejection(h.call('CreateDeliveryStream', s3Stream('x', { Prefix: 'a/!{timestamp:yyyy}/' })));
    expect(noErrorPrefix.message).toMatch(/ErrorOutputPrefix cannot be null/);
    const errorTypeInPrefix = await rejection(h.call('CreateDeliveryStream', s3Stream('x', { Prefix: '!{firehose:error-output-type}/', ErrorOutputPrefix: 'e/' })));
    expect(errorTypeInPrefix.message).toMatch(/Prefix cannot contain/);
    const zip = await rejection(h.call('CreateDeliveryStream', s3Stream('x', { CompressionFormat: 'ZIP' })));
    expect(zip.message).toMatch(/use UNCOMPRESSED or GZIP/);
    const bucket = await rejection(h.call('CreateDeliveryStream', s3Stream('x', { BucketARN: 'arn:aws:s3:::B' })));
    expect(bucket.type).toBe('InvalidArgumentException');
  });

  it('names the --lambda flag when a processor uses a Lambda ARN the target does not know', async () => {
    h = await openHarness();
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:enrich';
    const err = await rejection(
      h.call(
        'CreateDeliveryStream',
        s3Stream('x', {
          ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: arn }] }] },
        }),
      ),
    );
    expect(err.type).toBe('InvalidArgumentException');
    expect(err.message).toContain(`--lambda ${arn}=`);
  });

  it('lists streams in pages with Limit, ExclusiveStartDeliveryStreamName and a type filter', async () => {
    h = await openHarness();
    for (const name of ['c', 'a', 'b']) await h.call('CreateDeliveryStream', s3Stream(name));
    expect(await h.call('ListDeliveryStreams', { Limit: 2 })).toEqual({ DeliveryStreamNames: ['a', 'b'], HasMoreDeliveryStreams: true });
    expect(await h.call('ListDeliveryStreams', { Limit: 2, ExclusiveStartDeliveryStreamName: 'b' })).toEqual({ DeliveryStreamNames: ['c'], HasMoreDeliveryStreams: false });
    expect(await h.call('ListDeliveryStreams', { DeliveryStreamType: 'KinesisStreamAsSource' })).toEqual({ DeliveryStreamNames: [], HasMoreDeliveryStreams: false });
    expect(await h.call('ListDeliveryStreams', {})).toEqual({ DeliveryStreamNames: ['a', 'b', 'c'], HasMoreDeliveryStreams: false });
  });

  it('deletes a stream, after which it is not found', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('gone'));
    expect(await h.call('DeleteDeliveryStream', { DeliveryStreamName: 'gone' })).toEqual({});
    expect((await rejection(h.call('DescribeDeliveryStream', { DeliveryStreamName: 'gone' }))).type).toBe('ResourceNotFoundException');
  });

  it('tags and untags a stream', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('t'));
    await h.call('TagDeliveryStream', { DeliveryStreamName: 't', Tags: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: '1' }] });
    await h.call('UntagDeliveryStream', { DeliveryStreamName: 't', TagKeys: ['b'] });
    expect(await h.call('ListTagsForDeliveryStream', { DeliveryStreamName: 't' })).toEqual({ Tags: [{ Key: 'a', Value: '1' }], HasMoreTags: false });
    const tooMany = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}` }));
    expect((await rejection(h.call('TagDeliveryStream', { DeliveryStreamName: 't', Tags: tooMany }))).type).toBe('LimitExceededException');
  });
});

describe('PutRecord and PutRecordBatch', () => {
  it('returns a RecordId per record, Encrypted false and FailedPutCount 0', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('p'));
    const one = await h.call('PutRecord', { DeliveryStreamName: 'p', Record: { Data: b64('x') } });
    expect(one).toEqual({ RecordId: expect.stringMatching(/^\d{56}$/), Encrypted: false });
    const batch = await h.call('PutRecordBatch', { DeliveryStreamName: 'p', Records: [{ Data: b64('y') }, { Data: b64('') }] });
    expect(batch.FailedPutCount).toBe(0);
    expect(batch.Encrypted).toBe(false);
    const ids = batch.RequestResponses.map((r: { RecordId: string }) => r.RecordId);
    expect(new Set([one.RecordId, ...ids]).size).toBe(3);
  });

  it('refuses more than 500 records, a record over 1,000 KiB and a request over 4 MiB', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('p'));
    const many = await rejection(h.call('PutRecordBatch', { DeliveryStreamName: 'p', Records: Array.from({ length: 501 }, () => ({ Data: b64('x') })) }));
    expect(many.type).toBe('ValidationException');
    expect(many.message).toContain('less than or equal to 500');
    const big = await rejection(h.call('PutRecord', { DeliveryStreamName: 'p', Record: { Data: b64(Buffer.alloc(1_024_001)) } }));
    expect(big.type).toBe('ValidationException');
    expect(big.message).toContain("at 'record.data' failed to satisfy constraint: Member must have length less than or equal to 1024000");
    expect(await h.call('PutRecord', { DeliveryStreamName: 'p', Record: { Data: b64(Buffer.alloc(1_024_000)) } })).toHaveProperty('RecordId');
    const heavy = Array.from({ length: 5 }, () => ({ Data: b64(Buffer.alloc(900_000)) }));
    const request = await rejection(h.call('PutRecordBatch', { DeliveryStreamName: 'p', Records: heavy }));
    expect(request.type).toBe('InvalidArgumentException');
    expect(request.message).toBe('Records size exceeds 4 MB limit');
    const empty = await rejection(h.call('PutRecordBatch', { DeliveryStreamName: 'p', Records: [] }));
    expect(empty.type).toBe('ValidationException');
    const missing = await rejection(h.call('PutRecordBatch', { DeliveryStreamName: 'p', Records: [{}] }));
    expect(missing.message).toContain("Value null at 'records.1.member.data'");
  });

  it('fails single records with ServiceUnavailableException at the injected fault rate', async () => {
    h = await openHarness({ faultRate: 0.5 });
    await h.call('CreateDeliveryStream', s3Stream('flaky'));
    const out = await h.call('PutRecordBatch', { DeliveryStreamName: 'flaky', Records: Array.from({ length: 200 }, (_, i) => ({ Data: b64(`r${i}`) })) });
    const failed = out.RequestResponses.filter((r: { ErrorCode?: string }) => r.ErrorCode);
    expect(out.FailedPutCount).toBe(failed.length);
    expect(failed.length).toBeGreaterThan(50);
    expect(failed.length).toBeLessThan(150);
    expect(failed[0]).toEqual({ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' });
    // Only the accepted records are delivered.
    await h.advance(60_000);
    const { listObjects } = await import('./harness.js');
    const [object] = await listObjects(h.s3Dir, 'bucket');
    const expected = out.RequestResponses.map((r: { RecordId?: string }, i: number) => (r.RecordId ? `r${i}` : '')).join('');
    expect(object!.body.toString()).toBe(expected);
  });

  it('refuses puts on a stream whose source is a Kinesis stream, as AWS does', async () => {
    const clock = new ManualClock();
    const streams = await openStreamsService({ clock, rng: seededRng(1), limits: false, faultRate: 0, accountId: ACCOUNT, region: 'us-east-1' });
    await streams.operations.CreateStream!({ StreamName: 'src', ShardCount: 1 }, { requestId: 'r', region: 'us-east-1', accountId: ACCOUNT, now: clock.now() });
    h = await openHarness({ streams, clock });
    await h.call(
      'CreateDeliveryStream',
      s3Stream('fromkds', {}, {
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/src`, RoleARN: ROLE },
      }),
    );
    for (const [op, input] of [
      ['PutRecord', { DeliveryStreamName: 'fromkds', Record: { Data: b64('x') } }],
      ['PutRecordBatch', { DeliveryStreamName: 'fromkds', Records: [{ Data: b64('x') }] }],
    ] as const) {
      const err = await rejection(h.call(op, input));
      expect(err.type).toBe('InvalidArgumentException');
      expect(err.message).toBe('This operation is not permitted on KinesisStreamAsSource delivery stream type.');
    }
  });

  it('survives bodies that are not what the API expects', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('p'));
    for (const input of [null, 'text', [], { DeliveryStreamName: 42 }, { DeliveryStreamName: 'p', Records: 'x' }, { DeliveryStreamName: 'p', Records: [null] }, { DeliveryStreamName: 'p', Record: { Data: 5 } }]) {
      for (const op of ['PutRecord', 'PutRecordBatch', 'CreateDeliveryStream', 'DescribeDeliveryStream', 'ListDeliveryStreams', 'TagDeliveryStream']) {
        // Either an answer or an AWS error, never a TypeError from inside the service.
        await h.call(op, input).catch((err: unknown) => {
          expect(err).toBeInstanceOf(ServiceError);
          expect(['SerializationException', 'ValidationException', 'InvalidArgumentException', 'ResourceNotFoundException']).toContain((err as ServiceError).type);
        });
      }
    }
  });
});

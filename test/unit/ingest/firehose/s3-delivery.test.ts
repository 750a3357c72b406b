import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { b64, listObjects, openHarness, s3Stream, type Harness } from './harness.js';

const MIB = 1024 * 1024;
let h: Harness;
afterEach(async () => h?.close());

describe('buffered delivery to the local S3 directory', () => {
  it('delivers when the buffering interval has passed, and not before', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('events', { BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 120 } }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'events', Records: [{ Data: b64('a\n') }, { Data: b64('b\n') }] });
    await h.advance(119_000);
    expect(await listObjects(h.s3Dir, 'bucket')).toEqual([]);
    await h.advance(1_000);
    const objects = await listObjects(h.s3Dir, 'bucket');
    expect(objects.map((o) => o.body.toString())).toEqual(['a\nb\n']);
  });

  it('delivers as soon as the buffer reaches its size, without waiting for the interval', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('big', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 } }));
    const chunk = Buffer.alloc(512 * 1024, 'x');
    await h.call('PutRecord', { DeliveryStreamName: 'big', Record: { Data: b64(chunk) } });
    await h.service.whenIdle();
    expect(await listObjects(h.s3Dir, 'bucket')).toEqual([]);
    await h.call('PutRecord', { DeliveryStreamName: 'big', Record: { Data: b64(chunk) } });
    await h.service.whenIdle();
    const objects = await listObjects(h.s3Dir, 'bucket');
    expect(objects).toHaveLength(1);
    expect(objects[0]!.body.length).toBe(MIB);
  });

  it('splits a buffer that outgrew its size into objects of at most that size', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('split', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 } }));
    const records = Array.from({ length: 5 }, (_, i) => ({ Data: b64(Buffer.alloc(700 * 1024, String(i))) }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'split', Records: records });
    await h.service.whenIdle();
    // 5 x 700 KiB with a 1 MiB buffer: each object holds one record; the last waits for the interval.
    expect((await listObjects(h.s3Dir, 'bucket')).length).toBe(4);
    await h.advance(900_000);
    const objects = await listObjects(h.s3Dir, 'bucket');
    expect(objects.map((o) => o.body.length)).toEqual(Array(5).fill(700 * 1024));
    expect(objects.map((o) => String.fromCharCode(o.body[0]!)).sort().join('')).toBe('01234');
  });

  it("uses kedge's 1 MiB / 60 s when a stream gives no BufferingHints, and reports them", async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('defaults'));
    const described = await h.call('DescribeDeliveryStream', { DeliveryStreamName: 'defaults' });
    expect(described.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription.BufferingHints).toEqual({ SizeInMBs: 1, IntervalInSeconds: 60 });
    await h.call('PutRecord', { DeliveryStreamName: 'defaults', Record: { Data: b64('x') } });
    await h.advance(59_999);
    expect(await listObjects(h.s3Dir, 'bucket')).toEqual([]);
    await h.advance(1);
    expect(await listObjects(h.s3Dir, 'bucket')).toHaveLength(1);
  });

  it('lets intervalOverrideSeconds replace every stream interval', async () => {
    h = await openHarness({ intervalOverrideSeconds: 1 });
    await h.call('CreateDeliveryStream', s3Stream('fast', { BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 900 } }));
    await h.call('PutRecord', { DeliveryStreamName: 'fast', Record: { Data: b64('x') } });
    await h.advance(1_000);
    expect(await listObjects(h.s3Dir, 'bucket')).toHaveLength(1);
  });

  it('concatenates records without separators under AWS key layout, timestamped by the oldest record', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('mystream', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } }));
    await h.call('PutRecord', { DeliveryStreamName: 'mystream', Record: { Data: b64('{"a":1}') } });
    h.clock.advance(30_000);
    await h.call('PutRecord', { DeliveryStreamName: 'mystream', Record: { Data: b64('{"b":2}') } });
    await h.advance(30_000);
    const [object] = await listObjects(h.s3Dir, 'bucket');
    // The harness clock starts at 2026-11-25T21:30:05.123Z.
    expect(object!.key).toMatch(/^2026\/11\/25\/21\/mystream-1-2026-11-25-21-30-05-[0-9a-f-]{36}$/);
    expect(object!.body.toString()).toBe('{"a":1}{"b":2}');
  });

  it('gzips objects and names them .gz when CompressionFormat is GZIP', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('zipped', { CompressionFormat: 'GZIP' }));
    await h.call('PutRecord', { DeliveryStreamName: 'zipped', Record: { Data: b64('hello gzip\n') } });
    await h.advance(60_000);
    const [object] = await listObjects(h.s3Dir, 'bucket');
    expect(object!.key).toMatch(/\.gz$/);
    expect(object!.body.toString()).toBe('hello gzip\n'); // listObjects gunzipped it, so it was gzip
  });

  it('evaluates custom prefixes and a FileExtension', async () => {
    h = await openHarness();
    await h.call(
      'CreateDeliveryStream',
      s3Stream('custom', {
        Prefix: 'data/dt=!{timestamp:yyyy-MM-dd}/r=!{firehose:random-string}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        FileExtension: '.jsonl',
      }),
    );
    await h.call('PutRecord', { DeliveryStreamName: 'custom', Record: { Data: b64('x') } });
    await h.advance(60_000);
    const [object] = await listObjects(h.s3Dir, 'bucket');
    expect(object!.key).toMatch(/^data\/dt=2026-11-25\/r=[0-9a-f-]{11}\/custom-1-2026-11-25-21-30-05-[0-9a-f-]{36}\.jsonl$/);
  });

  it('writes objects atomically: no temp file is left in the bucket', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('atomic'));
    await h.call('PutRecord', { DeliveryStreamName: 'atomic', Record: { Data: b64('x') } });
    await h.advance(60_000);
    expect(await readdir(join(h.s3Dir, '.kedge-tmp'))).toEqual([]);
  });

  it('keeps delivering in order, one object per flush, across many intervals', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('ordered', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } }));
    for (let i = 0; i < 5; i++) {
      await h.call('PutRecord', { DeliveryStreamName: 'ordered', Record: { Data: b64(`${i}`) } });
      await h.advance(60_000);
    }
    const bodies = (await listObjects(h.s3Dir, 'bucket')).map((o) => o.body.toString());
    expect(bodies).toEqual(['0', '1', '2', '3', '4']);
  });

  it('uses one coarse timer for the whole service, however many streams and records', async () => {
    h = await openHarness();
    for (let i = 0; i < 3; i++) await h.call('CreateDeliveryStream', s3Stream(`s${i}`));
    for (let i = 0; i < 3; i++) await h.call('PutRecordBatch', { DeliveryStreamName: `s${i}`, Records: Array.from({ length: 100 }, () => ({ Data: b64('r') })) });
    expect(h.scheduler.registrations).toHaveLength(1);
  });
});

import { spawn } from 'node:child_process';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { b64, listObjects, makeDir, openHarness, s3Stream, type Harness } from './harness.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'crash-child.ts');

const dirs: string[] = [];
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await makeDir();
  dirs.push(d);
  return d;
}

async function open(dir: string): Promise<Harness> {
  const h = await openHarness({ dir, dataDir: join(dir, 'fh') });
  harnesses.push(h);
  return h;
}

/** Runs the child until it has accepted its records, then SIGKILLs it. */
async function acceptInChildThenKill(dir: string): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before accepting records`)));
    });
    return (JSON.parse(first) as { ids: string[] }).ids;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

describe('persistence with a data directory', () => {
  it('delivers records accepted before a SIGKILL after the restart, once', async () => {
    const dir = await tempDir();
    const ids = await acceptInChildThenKill(dir);
    expect(ids).toHaveLength(4);
    expect(await listObjects(join(dir, 's3'), 'bucket')).toEqual([]);

    const h = await open(dir);
    const described = await h.call('DescribeDeliveryStream', { DeliveryStreamName: 'crashy' });
    expect(described.DeliveryStreamDescription.DeliveryStreamStatus).toBe('ACTIVE');
    await h.advance(0); // records that waited through a restart go at the first tick
    const objects = await listObjects(h.s3Dir, 'bucket');
    expect(objects.map((o) => o.body.toString())).toEqual(['a|b|c|d|']);

    // Delivered is marked: a further restart does not deliver them again, and new ids do not repeat old ones.
    await h.close();
    harnesses.pop();
    const again = await open(dir);
    await again.advance(0);
    expect(await listObjects(again.s3Dir, 'bucket')).toHaveLength(1);
    const next = await again.call('PutRecord', { DeliveryStreamName: 'crashy', Record: { Data: b64('e|') } });
    expect(ids).not.toContain(next.RecordId);
    await again.advance(900_000);
    expect((await listObjects(again.s3Dir, 'bucket')).map((o) => o.body.toString()).sort()).toEqual(['a|b|c|d|', 'e|']);
  });

  it('keeps stream configs and tags, and forgets deleted streams', async () => {
    const dir = await tempDir();
    const h = await open(dir);
    await h.call('CreateDeliveryStream', s3Stream('kept', { Prefix: 'k/' }, { Tags: [{ Key: 'a', Value: '1' }] }));
    await h.call('CreateDeliveryStream', s3Stream('dropped'));
    await h.call('TagDeliveryStream', { DeliveryStreamName: 'kept', Tags: [{ Key: 'b', Value: '2' }] });
    await h.call('DeleteDeliveryStream', { DeliveryStreamName: 'dropped' });
    await h.close();
    harnesses.pop();

    const reopened = await open(dir);
    expect(await reopened.call('ListDeliveryStreams', {})).toEqual({ DeliveryStreamNames: ['kept'], HasMoreDeliveryStreams: false });
    const d = await reopened.call('DescribeDeliveryStream', { DeliveryStreamName: 'kept' });
    expect(d.DeliveryStreamDescription.Destinations[0].ExtendedS3DestinationDescription.Prefix).toBe('k/');
    expect((await reopened.call('ListTagsForDeliveryStream', { DeliveryStreamName: 'kept' })).Tags).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
  });

  it('does not carry records of a deleted stream into a new stream of the same name', async () => {
    const dir = await tempDir();
    const h = await open(dir);
    await h.call('CreateDeliveryStream', s3Stream('reborn'));
    await h.call('PutRecord', { DeliveryStreamName: 'reborn', Record: { Data: b64('old|') } });
    await h.call('DeleteDeliveryStream', { DeliveryStreamName: 'reborn' });
    await h.call('CreateDeliveryStream', s3Stream('reborn'));
    await h.call('PutRecord', { DeliveryStreamName: 'reborn', Record: { Data: b64('new|') } });
    await h.close();
    harnesses.pop();

    const reopened = await open(dir);
    await reopened.advance(0);
    expect((await listObjects(reopened.s3Dir, 'bucket')).map((o) => o.body.toString())).toEqual(['new|']);
  });

  it('compacts the journal once most of it is delivered, and still restarts correctly', async () => {
    const dir = await tempDir();
    const h = await open(dir);
    await h.call('CreateDeliveryStream', s3Stream('busy', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } }));
    const record = { Data: b64(Buffer.alloc(512 * 1024, 'z')) };
    for (let i = 0; i < 20; i++) await h.call('PutRecordBatch', { DeliveryStreamName: 'busy', Records: [record, record] });
    await h.service.whenIdle();
    await h.call('PutRecord', { DeliveryStreamName: 'busy', Record: { Data: b64('tail') } });
    const journal = join(dir, 'fh', 'firehose', 'journal.log');
    // 20 MiB went through; without compaction the journal would hold all of it. It is compacted whenever it
    // reaches 8 MiB with at most a quarter undelivered, so it stays below 8 MiB plus one put.
    expect((await stat(journal)).size).toBeLessThan(9 * 1024 * 1024);
    await h.close();
    harnesses.pop();

    const reopened = await open(dir);
    await reopened.advance(0);
    const bodies = (await listObjects(reopened.s3Dir, 'bucket')).map((o) => o.body.toString());
    expect(bodies.filter((b) => b === 'tail')).toHaveLength(1);
    expect(bodies).toHaveLength(21);
  });

  it('starts on a journal with a torn tail, keeping everything before it', async () => {
    const dir = await tempDir();
    const h = await open(dir);
    await h.call('CreateDeliveryStream', s3Stream('torn'));
    await h.call('PutRecord', { DeliveryStreamName: 'torn', Record: { Data: b64('whole') } });
    await h.close();
    harnesses.pop();
    const journal = join(dir, 'fh', 'firehose', 'journal.log');
    await writeFile(journal, Buffer.from([0xff, 0xff, 0x00, 0x00, 0x01]), { flag: 'a' });

    const reopened = await open(dir);
    await reopened.advance(0);
    expect((await listObjects(reopened.s3Dir, 'bucket')).map((o) => o.body.toString())).toEqual(['whole']);
    expect(await readdir(join(dir, 'fh', 'firehose'))).toContain('journal.log');
  });
});

/**
 * `kedge put` as a user runs it (the CLI in a child process) against our target in this process:
 * records from --data, a file (JSON lines with --partition-key-field, a progress bar) and stdin, to a
 * stream and to a delivery stream; the summary; the exit codes.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { afterEach, describe, expect, it } from 'vitest';
import { runKedgePut, type KedgePutResult } from '../helpers/kedge-put.js';
import { seededRng } from '../helpers/seeded-rng.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import { createStream, readStream } from './producer-helpers.js';

let target: TestTarget | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await target?.close();
  target = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-put-cli-'));
  dirs.push(dir);
  return dir;
}

function kedge(args: readonly string[], stdin?: string): Promise<KedgePutResult> {
  // No AWS settings reach the child: a local endpoint needs none.
  return runKedgePut(args, { home: tempDir(), ...(stdin !== undefined ? { stdin } : {}) });
}

describe('kedge put', () => {
  it('sends --data records to a stream and prints the summary', async () => {
    target = await startTestTarget({ memory: true });
    await createStream(target.kinesis, 'cli', 2);
    const result = await kedge(['--stream', 'cli', '--endpoint', target.url, '--partition-key', 'dev-1', '--data', 'one', '--data', '{"n":2}', '--data', 'three']);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('accepted 3, delivered 3, retried 0, dead-lettered 0, refused 0\n');
    const back = await readStream(target.kinesis, 'cli');
    expect(back.records.map((r) => [r.partitionKey, r.data]).sort()).toEqual([['dev-1', 'one'], ['dev-1', '{"n":2}'], ['dev-1', 'three']].sort());
  });

  it('reads a file of JSON lines with keys from --partition-key-field, shows progress, through injected faults', async () => {
    target = await startTestTarget({ memory: true, faultRate: 0.2, rng: seededRng(6) });
    await createStream(target.kinesis, 'cli-file', 3);
    const dir = tempDir();
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ device: `sensor-${i % 25}`, i, reading: i * 0.5 }));
    const file = join(dir, 'records.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = await kedge(['--stream', 'cli-file', '--endpoint', target.url, '--file', file, '--partition-key-field', 'device', '--progress', '--spool', join(dir, 'spool')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('100%');
    expect(result.stdout).toMatch(/^accepted 3000, delivered 3000, retried [1-9]\d*, dead-lettered 0, refused 0\n$/);
    const back = await readStream(target.kinesis, 'cli-file');
    expect(back.outOfRange).toEqual([]);
    expect(back.records.map((r) => r.data).sort()).toEqual([...lines].sort());
    expect(back.records.every((r) => r.partitionKey === (JSON.parse(r.data) as { device: string }).device)).toBe(true);
  });

  it('reads stdin, one record a line, to a delivery stream with --newline', async () => {
    target = await startTestTarget({ memory: true, firehoseIntervalSeconds: 1 });
    await target.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'cli-logs',
        ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/f', BucketARN: 'arn:aws:s3:::kedge-cli', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } },
      }),
    );
    const result = await kedge(['--delivery-stream', 'cli-logs', '--endpoint', target.url, '--newline'], 'alpha\nbeta\n\ngamma\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('accepted 3, delivered 3, retried 0, dead-lettered 0, refused 0\n');
    let text = '';
    for (let i = 0; i < 50 && text.split('\n').filter(Boolean).length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const root = join(target.s3Dir, 'kedge-cli');
      if (!existsSync(root)) continue;
      text = readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((f) => f.isFile())
        .map((f) => readFileSync(join(f.parentPath, f.name), 'utf8'))
        .join('');
    }
    expect(text.split('\n').filter(Boolean).sort()).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('exits 1 when records are dead-lettered (here: every write fails until the --ttl passes) or refused', async () => {
    target = await startTestTarget({ memory: true, faultRate: 1 });
    await createStream(target.kinesis, 'cli-fail', 1);
    const dir = tempDir();
    const failed = await kedge(['--stream', 'cli-fail', '--endpoint', target.url, '--data', 'x', '--ttl', '1', '--dead-letter', join(dir, 'dlq.jsonl')]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^accepted 1, delivered 0, retried \d+, dead-lettered 1, refused 0\n$/);
    expect(JSON.parse(readFileSync(join(dir, 'dlq.jsonl'), 'utf8'))).toMatchObject({ code: 'RECORD_EXPIRED', data: Buffer.from('x').toString('base64') });

    const refused = await kedge(['--stream', 'cli-fail', '--endpoint', target.url, '--partition-key-field', 'id', '--ttl', '1'], '{"id":"a"}\nnot json\n');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^accepted 1, delivered 0, retried \d+, dead-lettered 1, refused 1\n$/);
    expect(refused.stderr).toContain("no string or number field 'id'");
  });

  it('exits 2 with a one-line reason on bad usage', async () => {
    const none = await kedge(['--data', 'x']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('kedge put: pass exactly one of --stream NAME or --delivery-stream NAME\n');
    const both = await kedge(['--stream', 's', '--data', 'x', '--file', 'f']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--data and --file exclude each other');
    const help = await kedge(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: kedge put');
  });
});

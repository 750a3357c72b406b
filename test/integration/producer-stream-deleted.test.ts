/**
 * A stream deleted mid-run, against our target: sending parks on ResourceNotFoundException, re-checks
 * with growing delays, and once the error has persisted past the configured checks and time, the
 * records go to the dead-letter file with the reason instead of being retried forever. Nothing
 * accepted is unaccounted for: delivered (before the deletion) plus dead-lettered is everything.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type ParkedEvent, type Producer } from '../../src/index.js';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION, type TestTarget } from '../helpers/target.js';
import { createStream } from './producer-helpers.js';

let target: TestTarget | undefined;
let producer: Producer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await producer?.close({ timeoutMs: 0 });
  await target?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  producer = target = dir = undefined;
});

describe('a stream deleted mid-run', () => {
  it('dead-letters the records with the reason after the error persists, instead of retrying forever', async () => {
    target = await startTestTarget({ memory: true, limits: false });
    await createStream(target.kinesis, 'doomed', 2);
    dir = mkdtempSync(join(tmpdir(), 'kedge-deleted-'));
    producer = await createProducer({
      sink: { type: 'kinesis', streamName: 'doomed' },
      aws: { endpoint: target.url, region: TEST_REGION, credentials: TEST_CREDENTIALS },
      spool: { dir },
      parking: { checkIntervalMs: 100, maxCheckIntervalMs: 400, deadLetterAfterChecks: 3, deadLetterAfterMs: 1_000 },
    });
    const parked: ParkedEvent[] = [];
    producer.on('parked', (e) => parked.push(e));
    const put = (from: number, to: number): Promise<void[]> =>
      Promise.all(Array.from({ length: to - from }, (_, i) => producer!.put(`r-${from + i}`, { partitionKey: `k${i % 13}` })));

    await put(0, 1000);
    await producer.flush();
    await target.kinesis.send(new DeleteStreamCommand({ StreamName: 'doomed' }));
    await put(1000, 2000);
    await producer.flush();

    const stats = producer.stats();
    expect(stats.delivered).toBe(1000);
    expect(stats.deadLettered).toBe(1000);
    expect(stats.delivered + stats.deadLettered).toBe(stats.accepted);
    expect(stats.state).toBe('dead-lettering');
    expect(parked[0]).toMatchObject({ state: 'parked', code: 'ResourceNotFoundException' });
    expect(parked.at(-1)).toMatchObject({ state: 'dead-lettering', code: 'ResourceNotFoundException' });
    // Bounded checks, not a retry loop.
    expect(stats.requests.failed).toBeLessThan(30);

    const lines = readFileSync(join(dir, 'dead-letter.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { data: string; reason: string; code: string; destination: string });
    expect(lines.map((l) => Buffer.from(l.data, 'base64').toString()).sort()).toEqual(Array.from({ length: 1000 }, (_, i) => `r-${1000 + i}`).sort());
    expect(lines.every((l) => l.code === 'ResourceNotFoundException' && l.destination === 'Kinesis stream doomed')).toBe(true);
    expect(lines[0]!.reason).toMatch(/ResourceNotFoundException.*not found.*checks over .* s; dead-lettered/);
  }, 60_000);
});

/**
 * Child process for producer-kill.test.ts: a producer with a disk spool (fsync 'always') that puts
 * numbered records in batches and prints `A <first> <last>` after each batch was accepted, until it is
 * killed. At start it prints `R <n>`: the unacknowledged records it found in the spool (the in-flight
 * window of the run that was killed). In `drain` mode it only delivers the backlog and exits.
 * stdout is a pipe and pipe writes are synchronous on Linux: a printed line survives SIGKILL.
 * Usage: node --import tsx producer-kill-child.ts <url> <stream> <spoolDir> <mode: put|drain> <firstId>
 */
import { createProducer } from '../../src/index.js';

const [url, stream, dir, mode, firstText] = process.argv.slice(2);
if (!url || !stream || !dir || !mode || !firstText) throw new Error('usage: producer-kill-child.ts <url> <stream> <spoolDir> <put|drain> <firstId>');
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const producer = await createProducer({
  sink: { type: 'kinesis', streamName: stream },
  aws: { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDKEDGETEST', secretAccessKey: 'kedge-test-secret' } },
  spool: { dir, fsync: 'always', ledgerIntervalMs: 50, maxSegmentBytes: 256 * 1024 },
  maxHeldRecords: 2_000,
  lingerMs: 20,
  retry: { backoff: { baseMs: 10, throttledBaseMs: 20, capMs: 200 } },
});
print(`R ${producer.stats().recovered}`);

if (mode === 'drain') {
  await producer.flush();
  const stats = producer.stats();
  await producer.close();
  print(`D ${stats.delivered} ${stats.spool.entries}`);
} else {
  print('READY');
  for (let id = Number(firstText); ; id += 50) {
    const batch: Promise<void>[] = [];
    for (let i = id; i < id + 50; i++) batch.push(producer.put(`rec-${String(i).padStart(7, '0')}-${'z'.repeat(i % 150)}`, { partitionKey: `dev-${i % 97}` }));
    await Promise.all(batch);
    print(`A ${id} ${id + 49}`);
  }
}

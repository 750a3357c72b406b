/**
 * Child process for spool-kill.test.ts: appends with fsync 'always' from several concurrent writers and
 * prints `A <seq> <payload>` for every append that resolved; an acker reads in order, acknowledges
 * each batch in a shuffled order, and prints `K <seq>` just BEFORE each ack (so the parent knows an
 * upper bound of what may have been acknowledged), and `D <reason> <count>` for any loss its spool
 * reports. Runs until it is killed.
 * stdout is a pipe, and pipe writes are synchronous on Linux: a printed line is in the pipe before the
 * next append starts, so SIGKILL cannot lose it.
 * Usage: node --import tsx spool-kill-child.ts <dir> <seed>
 */
import { openDiskSpool } from '../../src/spool/index.js';
import { seededRng } from '../unit/spool/helpers.js';

const [dir, seedText] = process.argv.slice(2);
if (!dir || !seedText) throw new Error('usage: spool-kill-child.ts <dir> <seed>');
const rng = seededRng(Number(seedText));
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const spool = await openDiskSpool({
  dir,
  fsync: 'always',
  maxSegmentBytes: 16 * 1024,
  maxBytes: 64 * 1024 * 1024,
  ledgerIntervalMs: 5,
  onDrop: (event) => print(`D ${event.reason} ${'entries' in event ? event.entries : event.bytes}`),
});

async function writer(id: number): Promise<void> {
  for (let i = 0; ; i += 1) {
    const text = `s${seedText}-w${id}-${i}`.padEnd(40 + Math.floor(rng() * 200), '.');
    const seq = await spool.append(Buffer.from(text));
    print(`A ${seq} ${text}`);
  }
}

async function acker(): Promise<void> {
  let next = spool.stats().ackedThrough + 1;
  for (;;) {
    await spool.waitForEntries(next);
    const page = await spool.read(next, { maxEntries: 1 + Math.floor(rng() * 40) });
    next = page.next;
    const seqs = page.entries.map((e) => e.seq);
    // Fisher-Yates with the seeded RNG: acknowledgements arrive out of order, as with retries.
    for (let i = seqs.length - 1; i > 0; i -= 1) {
      const j = Math.floor(rng() * (i + 1));
      [seqs[i], seqs[j]] = [seqs[j]!, seqs[i]!];
    }
    for (const seq of seqs) {
      print(`K ${seq}`);
      spool.ack(seq);
    }
    // Let the writers run between batches, so the acker trails behind them.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

print('READY');
await Promise.all([writer(0), writer(1), writer(2), writer(3), writer(4), writer(5), writer(6), writer(7), acker()]);

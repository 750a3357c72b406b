/**
 * Crash safety, out of process (SPEC.md §9.1): a child appends with fsync 'always' and prints each
 * accepted seq; the parent SIGKILLs it at a seeded point, reopens the directory and checks that every
 * printed seq that was not acknowledged is there with its payload, that every seq the ledger calls
 * acknowledged really was acknowledged, and that seqs are never reused. Five kills, one directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDiskSpool } from '../../src/spool/index.js';
import { readAll, seededRng, TempDirs } from '../unit/spool/helpers.js';

const CHILD = fileURLToPath(new URL('./spool-kill-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const dirs = new TempDirs();
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  dirs.cleanup();
});

interface RunOutput {
  readonly appended: Map<number, string>;
  readonly ackIntents: Set<number>;
  /** `D <reason> <count>` lines: every loss the child's spool reported. */
  readonly drops: string[];
  readonly lockedWhileAlive: unknown;
}

/** Runs the child until it has printed `killAfter` accepted appends, then SIGKILLs it. */
function runAndKill(dir: string, seed: number, killAfter: number): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(seed)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const appended = new Map<number, string>();
    const ackIntents = new Set<number>();
    const drops: string[] = [];
    let lockedWhileAlive: Promise<unknown> | undefined;
    let pending = '';
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      const lines = pending.split('\n');
      pending = lines.pop()!; // a line cut by the kill is not counted
      for (const line of lines) {
        if (line === 'READY') {
          // The child holds the directory: a second opener must be refused.
          lockedWhileAlive = openDiskSpool({ dir }).then(
            () => new Error('opened a locked spool'),
            (error: unknown) => error,
          );
          continue;
        }
        const [kind, seqText, text] = line.split(' ');
        if (kind === 'A') appended.set(Number(seqText), text!);
        else if (kind === 'K') ackIntents.add(Number(seqText));
        else if (kind === 'D') drops.push(line);
      }
      if (!killed && appended.size >= killAfter) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`child exited on its own (code ${code}): ${stderr}`));
        return;
      }
      void Promise.resolve(lockedWhileAlive).then((locked) => resolve({ appended, ackIntents, drops, lockedWhileAlive: locked }));
    });
  });
}

describe('spool crash safety (SIGKILL of a real process)', () => {
  it('after SIGKILL at a random point, every accepted unacknowledged entry is there and nothing acknowledged was invented', async () => {
    const dir = dirs.make();
    const rng = seededRng(20240607);
    const everAcked = new Set<number>();
    let highestSeq = 0;
    for (let run = 1; run <= 5; run += 1) {
      const killAfter = 100 + Math.floor(rng() * 1500);
      const output = await runAndKill(dir, run, killAfter);
      for (const seq of output.ackIntents) everAcked.add(seq);
      expect(output.lockedWhileAlive).toMatchObject({ code: 'SPOOL_LOCKED' });
      expect(output.appended.size).toBeGreaterThanOrEqual(killAfter);
      // The child's reader never found (and skipped) a damaged entry.
      expect(output.drops.filter((line) => !line.startsWith('D torn-tail'))).toEqual([]);

      const spool = await openDiskSpool({ dir, maxSegmentBytes: 16 * 1024, maxBytes: 64 * 1024 * 1024 });
      try {
        const mark = spool.stats().ackedThrough;
        const present = new Map((await readAll(spool)).map((e) => [e.seq, e.payload.toString('latin1')] as const));
        // Never lose: every accepted seq above the mark is there, with its payload.
        const missing = [...output.appended].filter(([seq, text]) => seq > mark && present.get(seq) !== text);
        expect(missing).toEqual([]);
        // Never skip: every seq at or below the mark was really acknowledged by the child.
        const invented = [];
        for (let seq = 1; seq <= mark; seq += 1) if (!everAcked.has(seq)) invented.push(seq);
        expect(invented).toEqual([]);
        expect(spool.stats().corruptEntriesSkipped).toBe(0);
        // Seqs continue after everything ever accepted.
        highestSeq = Math.max(highestSeq, ...output.appended.keys());
        expect(spool.stats().nextSeq).toBeGreaterThan(highestSeq);
      } finally {
        await spool.close();
      }
    }
  }, 120_000);
});

/**
 * SIGKILL at random points: a child producer (disk spool, fsync 'always') is killed 20 times at seeded
 * moments while it puts records into our target (with 5% injected faults), restarted on the same spool
 * each time, and finally left to drain. Every record the child reported as accepted is read back from
 * the stream; duplicates are counted and bounded by the in-flight windows the restarts reported
 * (records found unacknowledged in the spool), and printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRng } from '../helpers/seeded-rng.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import { createStream, readStream, tally } from './producer-helpers.js';

const CHILD = fileURLToPath(new URL('./producer-kill-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const KILLS = 20;

let target: TestTarget | undefined;
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await target?.close();
  target = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly accepted: number[];
  readonly recovered: number;
  readonly lastId: number;
}

/** Runs the child; in `put` mode SIGKILLs it `killAfterMs` after it is ready (or once it has accepted `maxRecords`). */
function runChild(url: string, dir: string, mode: 'put' | 'drain', firstId: number, killAfterMs: number, maxRecords: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, 'crash', dir, mode, String(firstId)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const accepted: number[] = [];
    let recovered = 0;
    let lastId = firstId - 1;
    let pending = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.exitCode === null) child.kill('SIGKILL');
    };
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'R') recovered = Number(a);
        else if (kind === 'READY') timer = setTimeout(kill, killAfterMs);
        else if (kind === 'A') {
          for (let id = Number(a); id <= Number(b); id++) accepted.push(id);
          lastId = Math.max(lastId, Number(b));
          if (accepted.length >= maxRecords) kill();
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (mode === 'put' ? signal === 'SIGKILL' : code === 0) resolve({ accepted, recovered, lastId });
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr.slice(-2000)}`));
    });
  });
}

describe('producer killed with SIGKILL', () => {
  it(`loses no accepted record over ${KILLS} kills at random points; duplicates stay within the reported in-flight windows`, async () => {
    target = await startTestTarget({ memory: true, limits: false, faultRate: 0.05, rng: seededRng(8) });
    await createStream(target.kinesis, 'crash', 4);
    const dir = mkdtempSync(join(tmpdir(), 'kedge-producer-kill-'));
    dirs.push(dir);
    const rng = seededRng(2026);
    const accepted = new Set<number>();
    let recoveredTotal = 0;
    let nextId = 0;
    for (let run = 0; run < KILLS; run++) {
      const result = await runChild(target.url, dir, 'put', nextId, 100 + rng.int(900), 3_000 + rng.int(3_000));
      for (const id of result.accepted) accepted.add(id);
      recoveredTotal += result.recovered;
      // Ids the killed run may have put without printing are never reused.
      nextId = result.lastId + 1 + 1000;
    }
    const drain = await runChild(target.url, dir, 'drain', 0, 0, 0);
    recoveredTotal += drain.recovered;

    const back = await readStream(target.kinesis, 'crash');
    expect(back.outOfRange).toEqual([]);
    const counts = tally(back.records.map((r) => r.data.slice(4, 11)));
    const missing = [...accepted].filter((id) => !counts.has(String(id).padStart(7, '0')));
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    console.log(`kills ${KILLS}: accepted ${accepted.size}, read back ${back.records.length}, duplicates ${duplicates}, in-flight windows at restarts ${recoveredTotal}`);
    expect(accepted.size).toBeGreaterThan(KILLS * 100);
    expect(missing).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(recoveredTotal);
  }, 240_000);
});

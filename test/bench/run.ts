/**
 * `npm run bench [-- NAME ...] [-- --cpu-prof]`: runs the registered bench modules (all, or those named), prints
 * each one's table and its ratios against baselines measured in the same run, and exits. Later issues add
 * modules to `modules` below. `--cpu-prof` makes the servers under test write V8 CPU profiles to a temp dir.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as runAggregation } from './aggregation.js';
import { ingestThroughput } from './ingest-throughput.js';
import { mediaBench } from './media.js';
import { formatResult, type BenchModule } from './report.js';

/** A bench that prints its own report (older style): run it, and print nothing more for it. */
function selfPrinting(name: string, summary: string, run: () => Promise<void>): BenchModule {
  return { name, summary, run: async () => (await run(), { title: '', rows: [], ratios: [], notes: [] }) };
}

const modules: readonly BenchModule[] = [
  ingestThroughput,
  mediaBench,
  selfPrinting('aggregation', 'KPL aggregation of kedge vs aws-kinesis-agg', runAggregation),
  { name: 'producer', summary: 'the producer SDK vs AWS SDK PutRecords vs aws-kinesis-agg into kedge ingest; RSS while a backlog drains', run: async (ctx) => (await import('./producer.js')).producerBench.run(ctx) },
  { name: 'video', summary: 'video producer: glass-to-PERSISTED latency, CPU and RSS, 1080p30 copy (--video-seconds=N)', run: async (ctx) => (await import('./video.js')).videoBench.run(ctx) },
];

/** However a module ends, the bench must not hang: give cleanup this long, then exit. */
const EXIT_GRACE_MS = 5_000;

function usage(): string {
  return ['usage: npm run bench [-- [--cpu-prof] [NAME ...]]', '', 'modules:', ...modules.map((m) => `  ${m.name.padEnd(10)} ${m.summary}`)].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !modules.some((m) => m.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown module ${unknown.join(', ')}\n${usage()}\n`);
    return 2;
  }
  const serverNodeArgs: string[] = [];
  if (argv.includes('--cpu-prof')) {
    const dir = mkdtempSync(join(tmpdir(), 'kedge-bench-prof-'));
    serverNodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    process.stderr.write(`bench: CPU profiles of the servers under test go to ${dir}\n`);
  }
  const selected = names.length === 0 ? modules : modules.filter((m) => names.includes(m.name));
  const ctx = { log: (line: string) => process.stderr.write(`bench: ${line}\n`), serverNodeArgs };
  let failed = false;
  for (const module of selected) {
    try {
      const result = await module.run(ctx);
      if (result.rows.length > 0) process.stdout.write(`${formatResult(result)}\n\n`);
    } catch (err) {
      failed = true;
      process.stderr.write(`bench: module ${module.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

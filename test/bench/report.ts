/**
 * What a bench module hands back, and how run.ts prints it: a table of measured rows plus ratios of chosen rows
 * against a baseline row measured in the same run (so machine speed cancels out), each optionally with a goal.
 */
export interface BenchRow {
  /** e.g. `kedge (HTTP/1.1)`. */
  readonly target: string;
  readonly operation: string;
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  /** Failed calls or entries, shown so a fast-but-failing row is not mistaken for a win. */
  readonly failures: number;
  /** CPU seconds the server process used during the measurement, where it could be read. */
  readonly serverCpuSeconds?: number;
}

export interface BenchRatio {
  readonly operation: string;
  readonly subject: string;
  readonly baseline: string;
  /**
   * 'throughput' (default): subject records/s ÷ baseline records/s. 'cpu': baseline server CPU per record ÷
   * subject's, i.e. how many times less CPU the subject spends per record (steadier on a busy machine).
   */
  readonly metric?: 'throughput' | 'cpu';
  /** The ratio the issue asks for, if any. */
  readonly goal?: number;
}

export interface BenchResult {
  readonly title: string;
  readonly rows: readonly BenchRow[];
  readonly ratios: readonly BenchRatio[];
  readonly notes: readonly string[];
}

export interface BenchContext {
  /** Progress lines (stderr), so stdout stays the report. */
  log(line: string): void;
  /** Extra `node` flags for the server under test, e.g. `--cpu-prof`. */
  readonly serverNodeArgs: readonly string[];
}

export interface BenchModule {
  readonly name: string;
  readonly summary: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export const recordsPerSecond = (r: BenchRow): number => (r.seconds > 0 ? r.records / r.seconds : 0);
export const mibPerSecond = (r: BenchRow): number => (r.seconds > 0 ? r.bytes / r.seconds / (1024 * 1024) : 0);
/** Server CPU milliseconds per 1,000 records, or undefined if not measured. */
export const cpuMsPerThousand = (r: BenchRow): number | undefined =>
  r.serverCpuSeconds === undefined || r.records === 0 ? undefined : (r.serverCpuSeconds * 1000 * 1000) / r.records;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function ratioOf(result: BenchResult, ratio: BenchRatio): number | undefined {
  const find = (target: string): BenchRow | undefined => result.rows.find((r) => r.target === target && r.operation === ratio.operation);
  const subject = find(ratio.subject);
  const baseline = find(ratio.baseline);
  if (!subject || !baseline) return undefined;
  if (ratio.metric === 'cpu') {
    const [s, b] = [cpuMsPerThousand(subject), cpuMsPerThousand(baseline)];
    return s === undefined || b === undefined || s === 0 ? undefined : b / s;
  }
  // A baseline that got nothing done within its time bound: the ratio is unbounded, shown as such.
  if (recordsPerSecond(baseline) === 0) return recordsPerSecond(subject) > 0 ? Infinity : undefined;
  return recordsPerSecond(subject) / recordsPerSecond(baseline);
}

export function formatResult(result: BenchResult): string {
  const cpu = (r: BenchRow): string => {
    const v = cpuMsPerThousand(r);
    return v === undefined ? '' : fmt(v, 1);
  };
  // The CPU column only for modules that measure a server process.
  const withCpu = result.rows.some((r) => r.serverCpuSeconds !== undefined);
  const header = ['target', 'operation', 'records', 'seconds', 'records/s', 'MiB/s', ...(withCpu ? ['server CPU ms/1k rec'] : []), 'failures'];
  const rows = result.rows.map((r) => [
    r.target,
    r.operation,
    fmt(r.records),
    fmt(r.seconds, 2),
    fmt(recordsPerSecond(r)),
    fmt(mibPerSecond(r), 1),
    ...(withCpu ? [cpu(r)] : []),
    fmt(r.failures),
  ]);
  const ratioRows = result.ratios.map((q) => {
    const value = ratioOf(result, q);
    const verdict = q.goal === undefined || value === undefined ? '' : value >= q.goal ? `goal >= ${q.goal}x: met` : `goal >= ${q.goal}x: MISSED`;
    const shown = value === undefined ? 'n/a' : value === Infinity ? 'inf (baseline 0)' : `${fmt(value, 2)}x`;
    return [`${q.subject} / ${q.baseline}`, q.metric === 'cpu' ? `${q.operation} (CPU/record)` : q.operation, shown, verdict];
  });
  return [
    `== ${result.title}`,
    table(header, rows),
    ...(ratioRows.length > 0 ? ['', table(['ratio (records/s)', 'operation', 'value', 'goal'], ratioRows)] : []),
    ...result.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

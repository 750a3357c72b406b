/**
 * Tools for differential tests: run the same SDK command against several Kinesis servers and compare what came
 * back — HTTP status, error name, and the *shape* of the output (which keys, which value types), since values
 * like sequence numbers and request ids legitimately differ between implementations.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { pollUntil } from './child.js';

export type Outcome =
  | { readonly ok: true; readonly status: number | undefined; readonly output: any }
  | { readonly ok: false; readonly status: number | undefined; readonly name: string; readonly message: string };

/** Sends `command` and captures the answer either way, with the HTTP status from the SDK's `$metadata`. */
export async function outcome(client: KinesisClient, command: unknown): Promise<Outcome> {
  try {
    const output = await client.send(command as Parameters<KinesisClient['send']>[0]);
    return { ok: true, status: output.$metadata.httpStatusCode, output };
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { ok: false, status: e.$metadata?.httpStatusCode, name: e.name ?? 'Error', message: e.message ?? '' };
  }
}

/** `{ status, name }` of an outcome, the part of an error every implementation must agree on. */
export function errorSummary(o: Outcome): { status: number | undefined; name: string } {
  return o.ok ? { status: o.status, name: '(succeeded)' } : { status: o.status, name: o.name };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return 'Date';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Flattens a value into `path:type` entries (`StreamDescription.Shards[].ShardId:string`), ignoring the SDK's
 * `$metadata`. Array elements share one path, so the shape of a list does not depend on its length.
 */
export function shapeOf(value: unknown, path = ''): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown, p: string): void => {
    const t = typeName(v);
    if (p !== '') out.add(`${p}:${t}`);
    if (t === 'array') for (const item of v as unknown[]) visit(item, `${p}[]`);
    else if (t === 'object') {
      for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
        if (key === '$metadata' || child === undefined) continue;
        visit(child, p === '' ? key : `${p}.${key}`);
      }
    }
  };
  visit(value, path);
  return out;
}

/** Entries of `a` not in `b`, sorted; `[]` means `b` has everything `a` has. */
export function shapeMinus(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x)).sort();
}

/** Waits until DescribeStreamSummary says ACTIVE (peers create and reshard asynchronously). */
export async function waitForActive(client: KinesisClient, streamName: string, timeoutMs = 10_000): Promise<void> {
  let last = '';
  await pollUntil(
    async () => {
      const o = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      last = o.StreamDescriptionSummary?.StreamStatus ?? '';
      return last === 'ACTIVE';
    },
    { timeoutMs, intervalMs: 20, describe: () => `stream ${streamName} still ${last || 'unknown'}` },
  );
}

/** True if every element is a decimal string (AWS's `0|([1-9]\d{0,128})`) greater than the one before. */
export function strictlyIncreasingDecimals(values: readonly string[]): boolean {
  for (let i = 0; i < values.length; i++) {
    if (!/^(0|[1-9]\d{0,128})$/.test(values[i] as string)) return false;
    if (i > 0 && BigInt(values[i] as string) <= BigInt(values[i - 1] as string)) return false;
  }
  return true;
}

export const HASH_SPACE = 1n << 128n;

/**
 * AWS's CreateStream split (reference/ingest.md §6): slices of ⌊2^128/n⌋, the last ending at 2^128−1.
 * kinesalite matches it; kinesis-local slices ⌊(2^128−1)/n⌋, one below for n = 2, 4 (`awsSplit = false`).
 */
export function evenSplit(shardCount: number, awsSplit = true): Array<{ StartingHashKey: string; EndingHashKey: string }> {
  const slice = (awsSplit ? HASH_SPACE : HASH_SPACE - 1n) / BigInt(shardCount);
  return Array.from({ length: shardCount }, (_, i) => ({
    StartingHashKey: String(slice * BigInt(i)),
    EndingHashKey: String(i === shardCount - 1 ? HASH_SPACE - 1n : slice * BigInt(i + 1) - 1n),
  }));
}

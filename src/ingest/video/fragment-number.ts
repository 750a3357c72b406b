/**
 * Fragment numbers: decimal strings of 47 digits like AWS's (kvs.md §1.5), far beyond a JS number, so
 * they stay strings everywhere and are compared as BigInts. Layout (kedge's, opaque to clients):
 * `91343852333` | stream creation ms (15 digits) | sequence (21 digits). The sequence is
 * max(previous + 1, now × 1000), so numbers keep increasing across restarts even for fragments that were
 * never persisted, and a stream's numbers all share one prefix.
 */
const PREFIX = '91343852333';
const CREATION_DIGITS = 15;
const SEQUENCE_DIGITS = 21;
const FRAGMENT_NUMBER_PATTERN = /^[0-9]{1,128}$/;

export function formatFragmentNumber(streamCreationMs: number, sequence: number): string {
  return PREFIX + String(streamCreationMs).padStart(CREATION_DIGITS, '0') + String(sequence).padStart(SEQUENCE_DIGITS, '0');
}

/** The next sequence after `previous` at time `nowMs`. */
export function nextSequence(previous: number, nowMs: number): number {
  return Math.max(previous + 1, Math.floor(nowMs) * 1000);
}

/** Whether `value` has the shape the API accepts for a fragment number (`^[0-9]+$`, at most 128 digits). */
export function isFragmentNumber(value: unknown): value is string {
  return typeof value === 'string' && FRAGMENT_NUMBER_PATTERN.test(value);
}

export function compareFragmentNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

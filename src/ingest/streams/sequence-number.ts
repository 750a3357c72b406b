/**
 * Sequence numbers of the local target.
 *
 * Layout (33 decimal digits, fixed width so string order equals numeric order):
 *
 *     1 | shard index (12 digits, as in `shardId-000000000007`) | counter (20 digits)
 *
 * The counter is per shard: 0 is the shard's StartingSequenceNumber, records get 1, 2, 3, ... in arrival order,
 * and a closed shard's EndingSequenceNumber is the counter its next record would have had. So numbers grow
 * strictly within a shard, are unique in the stream (the shard index differs), and a child shard's numbers are
 * above its parents' (children get higher indexes), which keeps `SequenceNumberForOrdering` meaningful across
 * resharding. Counters are rebuilt from the journal on open and never move backwards, so a number is never
 * reused after a restart. Any digit string matching AWS's pattern `0|([1-9]\d{0,128})` is valid input to the
 * API; only numbers of this layout name a position in a shard.
 */
const LAYOUT_VERSION = '1';
const SHARD_DIGITS = 12;
const COUNTER_DIGITS = 20;
export const SEQUENCE_NUMBER_LENGTH = 1 + SHARD_DIGITS + COUNTER_DIGITS;

/** Counter 0 is a shard's StartingSequenceNumber; records start above it. */
export const FIRST_RECORD_COUNTER = 1;

export const AWS_SEQUENCE_NUMBER_PATTERN = /^(0|[1-9]\d{0,128})$/;

export function shardIdOf(shardIndex: number): string {
  return `shardId-${String(shardIndex).padStart(SHARD_DIGITS, '0')}`;
}

const SHARD_ID_PATTERN = /^shardId-(\d{1,12})$/;

/** The index in `shardId-000000000007`; undefined for anything else. */
export function shardIndexOf(shardId: string): number | undefined {
  const m = SHARD_ID_PATTERN.exec(shardId);
  return m ? Number(m[1]) : undefined;
}

/** The constant part of every sequence number in a shard; the hot path appends the padded counter to it. */
export function sequencePrefix(shardIndex: number): string {
  return LAYOUT_VERSION + String(shardIndex).padStart(SHARD_DIGITS, '0');
}

/** `ZEROS[n]` is n zeros: padding by table lookup is cheaper than padStart on the per-record path. */
const ZEROS = Array.from({ length: COUNTER_DIGITS + 1 }, (_, n) => '0'.repeat(n));

export function formatSequenceNumber(prefix: string, counter: number): string {
  const digits = `${counter}`;
  return prefix + ZEROS[COUNTER_DIGITS - digits.length]! + digits;
}

export interface ParsedSequenceNumber {
  readonly shardIndex: number;
  readonly counter: number;
}

/** Undefined if `value` is not a sequence number of this layout (or its counter is beyond 2^53). */
export function parseSequenceNumber(value: string): ParsedSequenceNumber | undefined {
  if (value.length !== SEQUENCE_NUMBER_LENGTH || value[0] !== LAYOUT_VERSION || !/^\d+$/.test(value)) return undefined;
  const shardIndex = Number(value.slice(1, 1 + SHARD_DIGITS));
  const counter = Number(value.slice(1 + SHARD_DIGITS));
  if (!Number.isSafeInteger(counter)) return undefined;
  return { shardIndex, counter };
}

/** Checks shared by both spools on what `append` and `ack` are given. */
import { InvalidInputError } from '../core/errors.js';
import { checkFrames, framedSize, ENTRY_HEADER_BYTES } from './entry-codec.js';
import { SpoolAckError, SpoolEntryTooLargeError } from './errors.js';

/** Framed bytes of the batch; throws if an item is not bytes or can never fit in a segment. */
export function framedBytes(payloads: readonly Uint8Array[], maxSegmentBytes: number): number {
  let total = 0;
  for (const payload of payloads) {
    if (!(payload instanceof Uint8Array)) {
      throw new InvalidInputError('SPOOL_PAYLOAD_TYPE', `A spool entry must be a Uint8Array (or Buffer), got ${typeof payload}.`);
    }
    if (framedSize(payload.length) > maxSegmentBytes) {
      throw new SpoolEntryTooLargeError(
        `An entry of ${payload.length} bytes does not fit in a spool segment (spool.maxSegmentBytes is ${maxSegmentBytes}, of which ${ENTRY_HEADER_BYTES} are the entry header); raise maxSegmentBytes.`,
      );
    }
    total += framedSize(payload.length);
  }
  return total;
}

/** Throws unless [first, last] is a range of accepted seqs (below `acceptedEnd`). */
export function checkAckRange(first: number, last: number, acceptedEnd: number): void {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 1 || last < first) {
    throw new SpoolAckError(`ack(${first}, ${last}): seqs must be integers >= 1 with first <= last.`);
  }
  if (last >= acceptedEnd) {
    throw new SpoolAckError(`ack(${first}, ${last}): seq ${last} was never accepted (the last accepted seq is ${acceptedEnd - 1}); acknowledge only seqs you read.`);
  }
}

/** Framed bytes of caller-framed entries (appendFrames); throws for a misuse or an entry larger than a segment. */
export function framesBytes(frames: Buffer, count: number, maxSegmentBytes: number): number {
  if (!Buffer.isBuffer(frames) || !Number.isSafeInteger(count) || count < 0) {
    throw new InvalidInputError('SPOOL_PAYLOAD_TYPE', `appendFrames needs a Buffer and an entry count, got ${typeof frames} and ${String(count)}.`);
  }
  const checked = checkFrames(frames, count, maxSegmentBytes);
  if (checked.error !== undefined) throw new InvalidInputError('SPOOL_PAYLOAD_TYPE', `appendFrames: ${checked.error}; frame entries with prepareFrames' layout.`);
  if (checked.tooLarge !== undefined) {
    throw new SpoolEntryTooLargeError(
      `An entry of ${checked.tooLarge} bytes does not fit in a spool segment (spool.maxSegmentBytes is ${maxSegmentBytes}, of which ${ENTRY_HEADER_BYTES} are the entry header); raise maxSegmentBytes.`,
    );
  }
  return checked.bytes;
}

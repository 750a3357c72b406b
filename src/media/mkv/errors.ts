import { KedgeError } from '../../core/errors.js';

/**
 * Codes: `MKV_INVALID` (bytes that are not a Matroska stream kedge can read; `offset` says where),
 * `MKV_INVALID_ARGUMENT` (the writer was given a value MKV or KVS cannot carry),
 * `MKV_BLOCK_TIMECODE_RANGE` (a frame too far from its cluster's timecode for the 16-bit block timecode),
 * `MKV_INVALID_METADATA` (fragment metadata KVS would reject: name, size or count).
 */
export class MkvError extends KedgeError {
  /** Byte offset in the stream where the problem was found, for reader errors. */
  readonly offset: number | undefined;

  constructor(code: string, message: string, offset?: number, options?: { cause?: unknown }) {
    super(code, offset === undefined ? message : `${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}

export function invalidMkv(offset: number, why: string): MkvError {
  return new MkvError('MKV_INVALID', `${why}; the input is not a Matroska stream kedge can read`, offset);
}

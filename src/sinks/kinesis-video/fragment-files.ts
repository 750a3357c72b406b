/**
 * File work of the fragment store, kept apart from its bookkeeping: atomic writes, the scan that finds
 * intact and damaged files at open, and the verified chunked read of one fragment's payload.
 */
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { BufferPool } from './buffer-pool.js';
import {
  FRAGMENT_FILE_PATTERN,
  FRAGMENT_HEADER_BYTES,
  HEADER_FILE_PATTERN,
  decodeFragmentHeader,
  decodeStreamHeaderFile,
  streamHeaderId,
  type FragmentFileHeader,
} from './fragment-file.js';

const isNotFound = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/** Writes `parts` to `<name>.tmp`, optionally fsyncs it, renames it to `name`, and fsyncs the directory. */
export async function writeAtomically(dir: string, name: string, parts: readonly Uint8Array[], fsync: boolean): Promise<void> {
  const final = join(dir, name);
  const temp = `${final}.tmp`;
  const fh = await open(temp, 'w');
  try {
    for (const part of parts) {
      // FileHandle.write may write less than asked (e.g. near a full disk); finish or fail loudly.
      for (let done = 0; done < part.length; ) done += (await fh.write(part, done, part.length - done)).bytesWritten;
    }
    if (fsync) await fh.sync();
  } catch (error) {
    await fh.close().catch(() => {});
    await removeFile(dir, `${name}.tmp`).catch(() => {});
    throw error;
  }
  await fh.close();
  await rename(temp, final);
  if (fsync) {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

/** Unlinks a file; one that is already gone is fine. */
export async function removeFile(dir: string, name: string): Promise<void> {
  try {
    await unlink(join(dir, name));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export interface StoreScan {
  /** Intact fragment file headers, in seq order. */
  readonly fragments: FragmentFileHeader[];
  /** Ids of intact stream header files. */
  readonly headers: Set<string>;
  /** Files that are torn or corrupt, with why. */
  readonly damaged: Array<{ readonly name: string; readonly reason: string }>;
  /** `.tmp` files: writes a crash interrupted. */
  readonly torn: string[];
}

/**
 * Reads every file's header (and checks its length) without reading payloads. A fragment whose stream header
 * file is missing or corrupt is damaged too: it could not be sent.
 */
export async function scanStoreDirectory(dir: string): Promise<StoreScan> {
  const names = (await readdir(dir)).sort();
  const scan: StoreScan = { fragments: [], headers: new Set(), damaged: [], torn: [] };
  for (const name of names) {
    if (name.endsWith('.tmp')) {
      scan.torn.push(name);
      continue;
    }
    const h = HEADER_FILE_PATTERN.exec(name);
    if (h === null) continue;
    const decoded = decodeStreamHeaderFile(await readFile(join(dir, name)));
    if (Buffer.isBuffer(decoded) && streamHeaderId(decoded) === h[1]) scan.headers.add(h[1]!);
    else scan.damaged.push({ name, reason: Buffer.isBuffer(decoded) ? 'header id does not match its bytes' : decoded.invalid });
  }
  for (const name of names) {
    const m = FRAGMENT_FILE_PATTERN.exec(name);
    if (m === null) continue;
    const result = await readFragmentFileHeader(join(dir, name), parseInt(m[1]!, 16));
    if ('invalid' in result) scan.damaged.push({ name, reason: result.invalid });
    else if (!scan.headers.has(result.headerId)) scan.damaged.push({ name, reason: `its stream header ${result.headerId} is missing` });
    else scan.fragments.push(result);
  }
  return scan;
}

async function readFragmentFileHeader(path: string, seqFromName: number): Promise<FragmentFileHeader | { invalid: string }> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(FRAGMENT_HEADER_BYTES);
    const { bytesRead } = await fh.read(head, 0, FRAGMENT_HEADER_BYTES, 0);
    const decoded = decodeFragmentHeader(head.subarray(0, bytesRead));
    if ('invalid' in decoded) return decoded;
    if (decoded.seq !== seqFromName) return { invalid: `file name says seq ${seqFromName}, header says ${decoded.seq}` };
    const { size } = await fh.stat();
    if (size !== FRAGMENT_HEADER_BYTES + decoded.payloadBytes) return { invalid: `length ${size} does not match the header (torn write)` };
    return decoded;
  } finally {
    await fh.close();
  }
}

/** Why a payload read failed: the file is gone, or its bytes are not what was written. */
export class PayloadReadError extends Error {
  constructor(
    readonly kind: 'gone' | 'corrupt',
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * Yields a payload in chunks of at most `chunkBytes`, after checking the whole payload's CRC, so a corrupt
 * payload never reaches the wire. A payload that fits one chunk is read once; a larger one twice (the
 * second read comes from the page cache), which keeps memory at one chunk whatever the fragment size.
 *
 * Chunks are views into buffers from `buffers`: the consumer gives each back (release) once nothing reads
 * it any more, e.g. when the socket has taken its bytes; one it keeps is simply never reused.
 */
export async function* readVerifiedPayload(path: string, payloadBytes: number, payloadCrc: number, chunkBytes: number, buffers: BufferPool): AsyncGenerator<Buffer, void, undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    if (isNotFound(error)) throw new PayloadReadError('gone', 'the file is gone');
    throw error;
  }
  try {
    const firstBytes = Math.min(chunkBytes, payloadBytes);
    const first = buffers.acquire(firstBytes);
    let crc = 0;
    let verified = 0;
    let whole: Buffer | undefined;
    try {
      while (verified < payloadBytes) {
        const { bytesRead } = await fh.read(first, 0, Math.min(firstBytes, payloadBytes - verified), FRAGMENT_HEADER_BYTES + verified);
        if (bytesRead === 0) break;
        crc = crc32(first.subarray(0, bytesRead), crc);
        if (verified === 0 && bytesRead === payloadBytes) whole = first.subarray(0, bytesRead);
        verified += bytesRead;
      }
      if (verified !== payloadBytes) throw new PayloadReadError('corrupt', 'payload shorter than recorded');
      if (crc !== payloadCrc) throw new PayloadReadError('corrupt', 'payload checksum mismatch');
    } finally {
      // Only a whole payload read in one piece is handed on; otherwise `first` was for checking only.
      if (whole === undefined || verified !== payloadBytes || crc !== payloadCrc) buffers.release(first);
    }
    if (whole !== undefined) {
      yield whole;
      return;
    }
    let sent = 0;
    while (sent < payloadBytes) {
      // The socket may still hold the previous chunk: that one comes back to the pool only when it is done.
      const size = Math.min(chunkBytes, payloadBytes - sent);
      const chunk = buffers.acquire(size);
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(chunk, 0, size, FRAGMENT_HEADER_BYTES + sent));
      } catch (error) {
        buffers.release(chunk);
        throw error;
      }
      if (bytesRead === 0) {
        buffers.release(chunk);
        throw new PayloadReadError('corrupt', 'the file shrank while being read');
      }
      sent += bytesRead;
      yield chunk.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

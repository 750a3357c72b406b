/**
 * The ledger (SPEC.md §4): 20 bytes holding the acknowledged low-water mark,
 * `magic "KSLG" | version u16 | flags u16 | ackedThrough u64 | crc32 u32`, replaced atomically
 * (temp file, fsync, rename, directory fsync) so a crash leaves the old or the new one, never a mix.
 */
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { readU64, writeU64 } from './entry-codec.js';
import type { SpoolIo } from './io.js';

export const LEDGER_FILE = 'ledger';
export const LEDGER_TEMP_FILE = 'ledger.tmp';
const LEDGER_BYTES = 20;
const MAGIC = 0x474c534b; // "KSLG" read as little-endian u32
const VERSION = 1;

export type LedgerRead =
  | { readonly state: 'missing' }
  | { readonly state: 'invalid' }
  | { readonly state: 'ok'; readonly ackedThrough: number };

export function encodeLedger(ackedThrough: number): Buffer {
  const buf = Buffer.alloc(LEDGER_BYTES);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt16LE(VERSION, 4);
  buf.writeUInt16LE(0, 6);
  writeU64(buf, 8, ackedThrough);
  buf.writeUInt32LE(crc32(buf.subarray(0, 16)), 16);
  return buf;
}

export function decodeLedger(buf: Buffer): LedgerRead {
  if (buf.length < LEDGER_BYTES) return { state: 'invalid' };
  if (buf.readUInt32LE(0) !== MAGIC || buf.readUInt16LE(4) !== VERSION) return { state: 'invalid' };
  if (crc32(buf.subarray(0, 16)) !== buf.readUInt32LE(16)) return { state: 'invalid' };
  const ackedThrough = readU64(buf, 8);
  return ackedThrough === undefined ? { state: 'invalid' } : { state: 'ok', ackedThrough };
}

export function readLedger(io: SpoolIo, dir: string): LedgerRead {
  const buf = io.readFile(join(dir, LEDGER_FILE));
  return buf === undefined ? { state: 'missing' } : decodeLedger(buf);
}

/** Writes the ledger durably; `dirFd` is the spool directory, fsynced so the rename survives power loss. */
export async function writeLedger(io: SpoolIo, dir: string, dirFd: number, ackedThrough: number): Promise<void> {
  const temp = join(dir, LEDGER_TEMP_FILE);
  const fd = io.open(temp, 'w');
  try {
    io.write(fd, [encodeLedger(ackedThrough)], 0);
    await io.fsync(fd);
  } finally {
    io.close(fd);
  }
  await io.rename(temp, join(dir, LEDGER_FILE));
  await io.fsync(dirFd);
}

/** The spool's public surface (SPEC.md): open a disk or memory spool; everything else is types and errors. */
import { openDiskSpool } from './disk-spool.js';
import { openMemorySpool } from './memory-spool.js';
import type { Spool, SpoolOptions } from './types.js';

export function openSpool(options: SpoolOptions): Promise<Spool> {
  return options.memory === true ? openMemorySpool(options) : openDiskSpool(options);
}

export { openDiskSpool, openMemorySpool };
export { nodeSpoolIo, type SpoolIo } from './io.js';
export {
  SpoolAckError,
  SpoolClosedError,
  SpoolEntryTooLargeError,
  SpoolFullError,
  SpoolIoError,
  SpoolLockedError,
  SpoolOptionsError,
} from './errors.js';
export type {
  CommonSpoolOptions,
  DiskSpoolOptions,
  EntryVisitor,
  FsyncPolicy,
  MemorySpoolOptions,
  OnFullPolicy,
  ReadLimits,
  ReadResult,
  Spool,
  SpoolDropEvent,
  SpoolDropReason,
  SpoolEntry,
  SpoolOptions,
  SpoolStats,
} from './types.js';

/**
 * The single-writer lock (SPEC.md §7): `<dir>/lock` holds the owner's pid. It is created by hard-linking
 * a fully written temp file (so nobody ever reads a half-written lock), refused while the named process
 * lives, and taken over from a dead one.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolLockedError } from './errors.js';

export const LOCK_FILE = 'lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which is still a live owner.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException).code === code;
}

/** Takes the lock for this process; returns a function that releases it. */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const temp = join(dir, `${LOCK_FILE}.${process.pid}.tmp`);
  writeFileSync(temp, `${process.pid}\n`);
  try {
    try {
      linkSync(temp, path);
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
      const owner = readOwner(path);
      if (owner !== undefined && isAlive(owner)) throw new SpoolLockedError(dir, owner);
      // Stale (dead pid or unreadable): replace it atomically, then check that we won.
      renameSync(temp, path);
      const now = readOwner(path);
      if (now !== process.pid) throw new SpoolLockedError(dir, now ?? -1);
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed into place.
    }
  }
  return () => {
    if (readOwner(path) === process.pid) unlinkSync(path);
  };
}

/**
 * The filesystem port of the disk spool (after Vector's `Filesystem` trait): every call the spool makes
 * goes through here, so tests can count fdatasyncs or inject ENOSPC/EIO against real files. Writes are
 * synchronous (page-cache copies, microseconds); fsyncs and reads are asynchronous so the event loop
 * keeps accepting appends while the disk works (that is what makes group commit group).
 */
import * as fs from 'node:fs';

export interface SpoolIo {
  mkdirp(dir: string): void;
  readdir(dir: string): string[];
  /** Size in bytes, or undefined if the file does not exist. */
  size(path: string): number | undefined;
  /** The whole file, or undefined if it does not exist. */
  readFile(path: string): Buffer | undefined;
  open(path: string, flags: 'r' | 'r+' | 'w' | 'w+'): number;
  openDir(dir: string): number;
  close(fd: number): void;
  /** Writes all chunks back to back at `position` (one writev); throws on failure, leaving an unknown prefix written. */
  write(fd: number, chunks: readonly Uint8Array[], position: number): void;
  read(fd: number, into: Buffer, length: number, position: number): Promise<number>;
  truncate(fd: number, length: number): void;
  fdatasync(fd: number): Promise<void>;
  /** fsync of a file or a directory (for a directory: makes created, renamed and deleted names durable). */
  fsync(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; a file that is already gone is not an error. */
  unlink(path: string): Promise<void>;
  unlinkSync(path: string): void;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

export const nodeSpoolIo: SpoolIo = {
  mkdirp: (dir) => {
    fs.mkdirSync(dir, { recursive: true });
  },
  readdir: (dir) => fs.readdirSync(dir),
  size: (path) => {
    try {
      return fs.statSync(path).size;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
  readFile: (path) => {
    try {
      return fs.readFileSync(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  },
  open: (path, flags) => fs.openSync(path, flags),
  openDir: (dir) => fs.openSync(dir, 'r'),
  close: (fd) => fs.closeSync(fd),
  write: (fd, chunks, position) => {
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    const done = chunks.length === 1 ? fs.writeSync(fd, chunks[0]!, 0, total, position) : fs.writevSync(fd, chunks as Uint8Array[], position);
    if (done < total) {
      // A short write (rare on regular files): finish the remainder with plain writes.
      const rest = Buffer.concat(chunks as Uint8Array[]).subarray(done);
      let off = 0;
      while (off < rest.length) off += fs.writeSync(fd, rest, off, rest.length - off, position + done + off);
    }
  },
  read: (fd, into, length, position) =>
    new Promise((resolve, reject) => {
      fs.read(fd, into, 0, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
    }),
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  fdatasync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
  fsync: (fd) => new Promise((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve()))),
  rename: (from, to) => fs.promises.rename(from, to),
  unlink: async (path) => {
    try {
      await fs.promises.unlink(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  },
  unlinkSync: (path) => {
    try {
      fs.unlinkSync(path);
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  },
};

/**
 * A capture process's stdout read into one reused buffer.
 *
 * Node hands out a fresh buffer for every read from a child's stdout pipe; at 6 Mbit/s that is ~0.75 MB a
 * second that waits for the garbage collector, and a producer that allocates little else collects only
 * every few seconds, so megabytes of dead chunks sat in the process's memory. Node reads into a caller's
 * buffer only for sockets (`onread`), and cannot make an anonymous pipe, so the child's stdout is one end
 * of a connected Unix socket instead: a listener on a path in a private temp directory (mode 0700: no
 * other user can connect) accepts our own connection, hands the accepted end to the child as its fd 1,
 * and is gone, path and directory included, before the child starts. ffmpeg and rpicam-vid write to a
 * socket as they write to a pipe.
 *
 * The chunk handed to `onChunk` is a view into the reused buffer: valid only during the call.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StdoutSocket {
  /** The end to pass to spawn() as stdio[1]; destroy it once the child has started (the child has its copy). */
  readonly childEnd: Socket;
  /** Resolves when the child's side is closed and every byte has been handed to onChunk. */
  readonly ended: Promise<void>;
  /** Closes both ends (the child has exited, or never started). */
  destroy(): void;
}

export async function openStdoutSocket(bufferBytes: number, onChunk: (chunk: Buffer) => void): Promise<StdoutSocket> {
  const dir = await mkdtemp(join(tmpdir(), 'kedge-capture-'));
  const server = createServer({ pauseOnConnect: true });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(dir, 'stdout'), () => resolve());
    });
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const buffer = Buffer.allocUnsafeSlow(bufferBytes);
    const reader = connect({
      path: join(dir, 'stdout'),
      onread: {
        buffer,
        callback: (bytes: number) => {
          onChunk(buffer.subarray(0, bytes));
          return true;
        },
      },
    });
    await new Promise<void>((resolve, reject) => {
      reader.once('connect', resolve);
      reader.once('error', reject);
    });
    const childEnd = await accepted;
    const ended = new Promise<void>((resolve) => {
      reader.once('close', () => resolve());
      // A read error (the kernel reports ECONNRESET if the child dies oddly) ends the stream like EOF does.
      reader.on('error', () => {});
    });
    return {
      childEnd,
      ended,
      destroy: () => {
        childEnd.destroy();
        reader.destroy();
      },
    };
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

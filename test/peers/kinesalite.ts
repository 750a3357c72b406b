/**
 * kinesalite (npm, CommonJS, LevelDB on memdown) as a peer: in this process (cheap, for differential tests)
 * or as a child process (for the bench, so it does not share an event loop with the load generator).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OwnedChild } from './child.js';
import type { RunningPeer } from './peer.js';

export interface KinesaliteOptions {
  readonly mode?: 'in-process' | 'child';
  /** How long a stream stays CREATING / DELETING / UPDATING. kinesalite's default of 500 ms slows tests. */
  readonly createStreamMs?: number;
  readonly deleteStreamMs?: number;
  readonly updateStreamMs?: number;
  /** Account-wide open shard cap (kinesalite's default is 10). */
  readonly shardLimit?: number;
  readonly readyTimeoutMs?: number;
}

const launcher = fileURLToPath(new URL('./kinesalite-child.cjs', import.meta.url));

function kinesaliteOptions(options: KinesaliteOptions): Record<string, number> {
  return {
    createStreamMs: options.createStreamMs ?? 0,
    deleteStreamMs: options.deleteStreamMs ?? 0,
    updateStreamMs: options.updateStreamMs ?? 0,
    shardLimit: options.shardLimit ?? 100,
  };
}

export async function startKinesalite(options: KinesaliteOptions = {}): Promise<RunningPeer> {
  return options.mode === 'child' ? startChild(options) : startInProcess(options);
}

async function startInProcess(options: KinesaliteOptions): Promise<RunningPeer> {
  const require = createRequire(import.meta.url);
  const kinesalite = require('kinesalite') as (opts: Record<string, unknown>) => Server;
  const server = kinesalite(kinesaliteOptions(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    name: 'kinesalite',
    url: `http://127.0.0.1:${port}`,
    pid: undefined,
    close: () => {
      // Keep-alive sockets of SDK clients would hold server.close() open until they idle out.
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function startChild(options: KinesaliteOptions): Promise<RunningPeer> {
  const child = new OwnedChild(process.execPath, [launcher, JSON.stringify(kinesaliteOptions(options))], { label: 'kinesalite' });
  try {
    const match = await child.waitForOutput(/listening on (http:\/\/127\.0\.0\.1:\d+)/, options.readyTimeoutMs ?? 15_000);
    return { name: 'kinesalite', url: match[1] as string, pid: child.pid, close: () => child.stop() };
  } catch (err) {
    await child.kill();
    throw err;
  }
}

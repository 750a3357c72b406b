/**
 * The three servers a differential test compares, each with a Kinesis client that makes one attempt per call
 * (so a 500 is seen as a 500, not retried away): our target (default HTTP/2 client, as users run it),
 * kinesalite (in-process, HTTP/1.1) and kinesis-local (child process, HTTP/1.1).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startIngestTarget } from '../../src/ingest/target.js';
import { kinesisClient } from './clients.js';
import { startKinesalite } from './kinesalite.js';
import { startKinesisLocal } from './kinesis-local.js';
import type { PeerName, RunningPeer } from './peer.js';

export interface DifferentialTarget {
  readonly name: PeerName;
  readonly url: string;
  readonly client: KinesisClient;
}

export interface DifferentialTargets {
  readonly all: readonly DifferentialTarget[];
  byName(name: PeerName): DifferentialTarget;
  close(): Promise<void>;
}

type Starter = () => Promise<{ url: string; close(): Promise<void> }>;

const starters: Record<PeerName, { start: Starter; http: '1.1' | '2' }> = {
  kedge: { start: startOurs, http: '2' },
  kinesalite: { start: () => startKinesalite(), http: '1.1' },
  'kinesis-local': { start: () => startKinesisLocal(), http: '1.1' },
};

/**
 * Our target in this process, persisting to a temp dir (removed on close), without AWS's per-shard quotas: the
 * peers enforce none, and a differential test reads one shard several times a second, which 5 reads/s would throttle.
 */
async function startOurs(): Promise<RunningPeer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kedge-differential-'));
  try {
    const target = await startIngestTarget({ port: 0, dataDir, limits: false, logger: pino({ level: 'silent' }) });
    return {
      name: 'kedge',
      url: target.url,
      pid: undefined,
      close: async () => {
        await target.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** Starts every target in parallel; if one fails, the others are closed before the error is thrown. */
export async function startDifferentialTargets(names: readonly PeerName[] = ['kedge', 'kinesalite', 'kinesis-local']): Promise<DifferentialTargets> {
  const started = await Promise.allSettled(names.map((name) => starters[name].start()));
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) {
    await Promise.allSettled(servers.map((s) => s.close()));
    throw failure.reason;
  }
  const all = names.map((name, i) => {
    const server = servers[i] as { url: string };
    return { name, url: server.url, client: kinesisClient(server.url, { http: starters[name].http }) };
  });
  return {
    all,
    byName: (name) => {
      const t = all.find((x) => x.name === name);
      if (!t) throw new Error(`no differential target named ${name}`);
      return t;
    },
    close: async () => {
      for (const t of all) t.client.destroy();
      await Promise.allSettled(servers.map((s) => s.close()));
    },
  };
}

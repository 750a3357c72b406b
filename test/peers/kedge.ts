/**
 * Our ingest target as a real child process (`kedge ingest --port 0 --data DIR`), the way a user runs it.
 * Crash tests SIGKILL it and start it again on the same data directory; the bench runs the built CLI.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OwnedChild } from './child.js';
import type { RunningPeer } from './peer.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface KedgeTargetOptions {
  /** Persistence directory; a temp dir (removed on close) when omitted. A given dir is never removed. */
  readonly dataDir?: string;
  /** 'source' runs src/ through tsx (tests); 'dist' runs the compiled CLI (the bench, after `npm run build`). */
  readonly entry?: 'source' | 'dist';
  readonly extraArgs?: readonly string[];
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface KedgeTarget extends RunningPeer {
  readonly dataDir: string;
  readonly child: OwnedChild;
  /** SIGKILL: no shutdown hooks, like a power cut. Leaves the data directory in place. */
  kill(): Promise<void>;
}

export function kedgeCommand(options: KedgeTargetOptions, dataDir: string): { command: string; args: string[] } {
  const entry = options.entry ?? 'source';
  const main = entry === 'dist' ? [join(repoRoot, 'dist/cli/main.js')] : ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts')];
  return {
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), ...main, 'ingest', '--port', '0', '--data', dataDir, ...(options.extraArgs ?? [])],
  };
}

export async function startKedgeTarget(options: KedgeTargetOptions = {}): Promise<KedgeTarget> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'kedge-ingest-data-')));
  const { command, args } = kedgeCommand(options, dataDir);
  const child = new OwnedChild(command, args, { label: 'kedge ingest', cwd: repoRoot });
  const removeOwnedDir = async (): Promise<void> => {
    if (ownsDir) await rm(dataDir, { recursive: true, force: true });
  };
  let url: string;
  try {
    const match = await child.waitForOutput(/(http:\/\/127\.0\.0\.1:\d+)/, options.readyTimeoutMs ?? 30_000);
    url = match[1] as string;
  } catch (err) {
    await child.kill();
    await removeOwnedDir();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    name: 'kedge',
    url,
    pid: child.pid,
    dataDir,
    child,
    kill: () => child.kill(),
    close: () =>
      (closing ??= (async () => {
        await child.stop();
        await removeOwnedDir();
      })()),
  };
}

/**
 * kinesis-local (npm; kinesis-mock's Scala.js build) as a child process. It binds 0.0.0.0 in its own code, so
 * it runs with loopback-only.cjs preloaded, which forces 127.0.0.1 (our servers listen on loopback only).
 * It needs a TLS port and a certificate even when only the plain port is used.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { OwnedChild, pollUntil } from './child.js';
import { freePort } from './free-port.js';
import type { RunningPeer } from './peer.js';

export interface KinesisLocalOptions {
  /** CREATING/UPDATING/DELETING time, as kinesis-mock's duration strings (default 500ms there). */
  readonly stateChangeDuration?: string;
  /** Account-wide shard cap (kinesis-mock's default is 50). */
  readonly shardLimit?: number;
  readonly logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly readyTimeoutMs?: number;
}

const loopbackPreload = fileURLToPath(new URL('./loopback-only.cjs', import.meta.url));

const STATE_DURATIONS = [
  'CREATE_STREAM_DURATION',
  'DELETE_STREAM_DURATION',
  'MERGE_SHARDS_DURATION',
  'SPLIT_SHARD_DURATION',
  'UPDATE_SHARD_COUNT_DURATION',
  'UPDATE_STREAM_MODE_DURATION',
  'REGISTER_STREAM_CONSUMER_DURATION',
  'DEREGISTER_STREAM_CONSUMER_DURATION',
  'START_STREAM_ENCRYPTION_DURATION',
  'STOP_STREAM_ENCRYPTION_DURATION',
];

function packageDir(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve('kinesis-local/package.json'), '..');
}

export async function startKinesisLocal(options: KinesisLocalOptions = {}): Promise<RunningPeer> {
  const dir = packageDir();
  // Its working directory is where a persistence file would go; keep it out of the checkout.
  const workDir = await mkdtemp(join(tmpdir(), 'kedge-kinesis-local-'));
  const plainPort = await freePort();
  const tlsPort = await freePort();
  const duration = options.stateChangeDuration ?? '10ms';
  const env: Record<string, string> = {
    KINESIS_MOCK_PLAIN_PORT: String(plainPort),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    KINESIS_MOCK_CERT_PATH: join(dir, 'server.json'),
    SHARD_LIMIT: String(options.shardLimit ?? 100),
    SHOULD_PERSIST_DATA: 'false',
    LOG_LEVEL: options.logLevel ?? 'ERROR',
    ROOT_LOG_LEVEL: 'ERROR',
  };
  for (const name of STATE_DURATIONS) env[name] = duration;
  const child = new OwnedChild(process.execPath, ['--require', loopbackPreload, join(dir, 'main.js')], { label: 'kinesis-local', cwd: workDir, env });
  const url = `http://127.0.0.1:${plainPort}`;
  const cleanup = async (): Promise<void> => {
    await child.stop();
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    await pollUntil(
      async () => {
        const response = await fetch(`${url}/healthcheck`);
        await response.arrayBuffer();
        return response.status === 200;
      },
      {
        timeoutMs: options.readyTimeoutMs ?? 30_000,
        intervalMs: 100,
        giveUp: () => child.hasExited,
        describe: () => `kinesis-local at ${url} never answered /healthcheck:\n${child.output}`,
      },
    );
  } catch (err) {
    await cleanup();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return { name: 'kinesis-local', url, pid: child.pid, close: () => (closing ??= cleanup()) };
}

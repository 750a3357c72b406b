/**
 * The path to real AWS endpoints, short of AWS itself: `kedge put` (the CLI in a child process, as a
 * user runs it) over TLS to an https:// endpoint, signing with credentials found by the AWS SDK's
 * default provider chain — environment variables, then a shared credentials file with a profile —
 * against our target requiring those exact keys. The TLS endpoint is a TLS terminator in this process
 * in front of `kedge ingest`, with a certificate made for 127.0.0.1 by openssl for this run.
 *
 * Bad paths: an untrusted certificate parks the records with the reason (nothing lost: a later run
 * with the CA trusted delivers them from the spool), and wrong keys are refused without losing data.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKedgePut, type KedgePutResult } from '../helpers/kedge-put.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import { createStream, readStream } from './producer-helpers.js';

const KEYS = { accessKeyId: 'AKIDKEDGECHAIN', secretAccessKey: 'kedge-chain-secret' } as const;

let dir: string;
let certPath: string;
let target: TestTarget;
let tls: TlsServer;
let httpsUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kedge-put-tls-'));
  certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath,
  ], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make the test certificate: ${made.stderr}`);

  target = await startTestTarget({ memory: true, auth: [KEYS] });
  await createStream(target.kinesis, 'tls', 2);
  const targetPort = Number(new URL(target.url).port);
  tls = createTlsServer({ key: readFileSync(keyPath), cert: readFileSync(certPath) }, (socket) => {
    const upstream = netConnect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  httpsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (tls === undefined ? resolve() : tls.close(() => resolve())));
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI with only the environment given here (plus PATH and a fresh HOME): no AWS setting leaks in. */
function kedgePut(args: readonly string[], env: Record<string, string>): Promise<KedgePutResult> {
  return runKedgePut(args, { home: mkdtempSync(join(dir, 'home-')), env });
}

async function dataIn(stream: string): Promise<string[]> {
  return (await readStream(target.kinesis, stream)).records.map((r) => r.data).sort();
}

describe('kedge put over TLS with the default credential chain', () => {
  it('signs with keys from the environment and delivers over https', async () => {
    const result = await kedgePut(['--stream', 'tls', '--endpoint', httpsUrl, '--region', 'us-east-1', '--data', 'env-1', '--data', 'env-2'], {
      AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
      NODE_EXTRA_CA_CERTS: certPath,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('accepted 2, delivered 2, retried 0, dead-lettered 0, refused 0\n');
    expect(await dataIn('tls')).toEqual(expect.arrayContaining(['env-1', 'env-2']));
  });

  it('signs with the profile named by AWS_PROFILE from a shared credentials file', async () => {
    const credentials = join(dir, 'credentials');
    writeFileSync(credentials, `[default]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = wrong\n\n[edge]\naws_access_key_id = ${KEYS.accessKeyId}\naws_secret_access_key = ${KEYS.secretAccessKey}\n`);
    writeFileSync(join(dir, 'config'), '[profile edge]\nregion = us-east-1\n');
    const result = await kedgePut(['--stream', 'tls', '--endpoint', httpsUrl, '--data', 'profile-1'], {
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_PROFILE: 'edge',
      NODE_EXTRA_CA_CERTS: certPath,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await dataIn('tls')).toContain('profile-1');
  });

  it('parks records behind an untrusted certificate with the reason, and delivers them from the spool once the CA is trusted', async () => {
    const spool = join(dir, 'spool-untrusted');
    const env = { AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey };
    const untrusted = await kedgePut(['--stream', 'tls', '--endpoint', httpsUrl, '--region', 'us-east-1', '--spool', spool, '--timeout', '2', '--data', 'kept-1', '--data', 'kept-2'], env);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/parked.*(DEPTH_ZERO_SELF_SIGNED_CERT|self-signed certificate)/);
    expect(untrusted.stdout).toContain(`not delivered 2 (kept in ${spool})`);
    expect(await dataIn('tls')).not.toContain('kept-1');

    const trusted = await kedgePut(['--stream', 'tls', '--endpoint', httpsUrl, '--region', 'us-east-1', '--spool', spool], { ...env, NODE_EXTRA_CA_CERTS: certPath });
    expect(trusted.code).toBe(0);
    expect(await dataIn('tls')).toEqual(expect.arrayContaining(['kept-1', 'kept-2']));
  });

  it('parks records signed with keys the endpoint does not know, keeping them in the spool', async () => {
    const spool = join(dir, 'spool-wrong-keys');
    const result = await kedgePut(['--stream', 'tls', '--endpoint', httpsUrl, '--region', 'us-east-1', '--spool', spool, '--timeout', '2', '--data', 'unsigned-1'], {
      AWS_ACCESS_KEY_ID: 'AKIDUNKNOWN',
      AWS_SECRET_ACCESS_KEY: 'nope',
      NODE_EXTRA_CA_CERTS: certPath,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/parked.*UnrecognizedClientException/);
    expect(result.stdout).toContain(`not delivered 1 (kept in ${spool})`);
    expect(await dataIn('tls')).not.toContain('unsigned-1');
  });
});

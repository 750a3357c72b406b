/**
 * `kedge ingest` and `kedge demo` as users run them: a child process, its one stdout line, the real SDK
 * against it, signals, exit codes, and flag errors. Flag parsing itself is also checked in-process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIngestFlags } from '../../src/config/ingest-flags.js';

const REPO = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO, 'src/cli/main.ts');

interface Kedge {
  child: ChildProcess;
  /** The first stdout line. */
  firstLine: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
const sdkClients: { destroy(): void }[] = [];

afterEach(() => {
  for (const c of sdkClients.splice(0)) c.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-cli-test-'));
  dirs.push(dir);
  return dir;
}

function kedge(args: string[]): Kedge {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const firstLine = new Promise<string>((resolveLine, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolveLine(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`kedge exited (${code}) before printing a line; stderr: ${err}`)));
  });
  firstLine.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  return { child, firstLine, exited, stdout: () => out, stderr: () => err };
}

function urlOf(line: string): string {
  const m = /^kedge (?:ingest|demo) listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
  if (!m) throw new Error(`not a URL line: ${line}`);
  return m[1]!;
}

function kinesisAt(url: string, http1 = false, credentials = { accessKeyId: 'local', secretAccessKey: 'local' }): KinesisClient {
  const c = new KinesisClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1, ...(http1 ? { requestHandler: new NodeHttpHandler() } : {}) });
  sdkClients.push(c);
  return c;
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('kedge ingest', () => {
  it('prints exactly one line with its URL, serves the SDK over HTTP/2 and HTTP/1.1, and exits 0 on SIGTERM', async () => {
    const k = kedge(['ingest', '--port', '0', '--memory']);
    const url = urlOf(await k.firstLine);
    await kinesisAt(url).send(new CreateStreamCommand({ StreamName: 'cli', ShardCount: 1 }));
    expect((await kinesisAt(url, true).send(new ListStreamsCommand({}))).StreamNames).toEqual(['cli']);
    k.child.kill('SIGTERM');
    expect(await k.exited).toEqual({ code: 0, signal: null });
    expect(k.stdout()).toBe(`kedge ingest listening on ${url}\n`);
    expect(processGone(k.child.pid!)).toBe(true);
    // stderr carries structured logs; one says where the memory-mode S3 objects went, removed at exit.
    const logs = k.stderr().trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { s3Dir?: string });
    const s3Dir = logs.find((l) => l.s3Dir)?.s3Dir;
    expect(s3Dir).toMatch(/kedge-ingest-s3-/);
    expect(existsSync(s3Dir!)).toBe(false);
  });

  it('exits 0 on SIGINT sent the moment the URL line appears, and leaves the port free', async () => {
    const k = kedge(['ingest', '--port', '0', '--memory']);
    const url = urlOf(await k.firstLine);
    k.child.kill('SIGINT');
    expect(await k.exited).toEqual({ code: 0, signal: null });
    await expect(
      new Promise((resolveConn, reject) => net.connect(Number(new URL(url).port), '127.0.0.1').on('connect', resolveConn).on('error', reject)),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('keeps what it acknowledged in --data across a stop and a start', async () => {
    const data = tempDir();
    const first = kedge(['ingest', '--port', '0', '--data', data]);
    await kinesisAt(urlOf(await first.firstLine)).send(new CreateStreamCommand({ StreamName: 'kept', ShardCount: 2 }));
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const second = kedge(['ingest', '--port', '0', '--data', data]);
    const summary = await kinesisAt(urlOf(await second.firstLine)).send(new DescribeStreamSummaryCommand({ StreamName: 'kept' }));
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(2);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('verifies signatures with --auth', async () => {
    const k = kedge(['ingest', '--port', '0', '--memory', '--auth', 'AKIDCLI:cli-secret']);
    const url = urlOf(await k.firstLine);
    await kinesisAt(url, false, { accessKeyId: 'AKIDCLI', secretAccessKey: 'cli-secret' }).send(new ListStreamsCommand({}));
    await expect(kinesisAt(url, false, { accessKeyId: 'AKIDCLI', secretAccessKey: 'nope' }).send(new ListStreamsCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    k.child.kill('SIGTERM');
    expect((await k.exited).code).toBe(0);
  });

  const badUsage: [string[], RegExp][] = [
    [['--bad-flag'], /unknown option --bad-flag/],
    [['--port', 'abc'], /--port must be a number from 0 to 65535/],
    [['--faults', '2'], /--faults must be a share between 0 and 1/],
    [['--memory', '--data', '/tmp/x'], /--data and --memory exclude each other/],
    [['--auth', 'no-colon'], /--auth takes KEYID:SECRET/],
    [['stray'], /unexpected argument 'stray'/],
  ];
  for (const [args, reason] of badUsage) {
    it(`exits 2 with a one-line reason for: ${args.join(' ')}`, async () => {
      const k = kedge(['ingest', ...args]);
      expect((await k.exited).code).toBe(2);
      expect(k.stdout()).toBe('');
      expect(k.stderr()).toMatch(reason);
      expect(k.stderr().trimEnd().split('\n')).toHaveLength(1);
    });
  }

  it('prints its options with --help and exits 0', async () => {
    const k = kedge(['ingest', '--help']);
    expect((await k.exited).code).toBe(0);
    expect(k.stdout()).toMatch(/^usage: kedge ingest \[options\]/);
    for (const flag of ['--port', '--host', '--data', '--memory', '--auth', '--no-limits', '--faults', '--firehose-interval', '--lambda']) {
      expect(k.stdout()).toContain(flag);
    }
  });

  it('exits 1 saying the port is taken when it is', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as net.AddressInfo).port;
      const k = kedge(['ingest', '--port', String(port), '--memory']);
      expect((await k.exited).code).toBe(1);
      expect(k.stderr()).toContain(`port ${port} on 127.0.0.1 is in use; pass --port 0`);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});

describe('kedge demo', () => {
  it('creates the demo streams through the SDK, prints how to connect, survives a second start, and exits 0 on SIGINT', async () => {
    const data = tempDir();
    for (let run = 0; run < 2; run++) {
      const k = kedge(['demo', '--port', '0', '--data', data]);
      const url = urlOf(await k.firstLine);
      const summary = await kinesisAt(url).send(new DescribeStreamSummaryCommand({ StreamName: 'kedge-demo' }));
      expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(2);
      const firehose = new FirehoseClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
      sdkClients.push(firehose);
      const delivery = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'kedge-demo-delivery' }));
      expect(delivery.DeliveryStreamDescription?.Destinations?.[0]?.ExtendedS3DestinationDescription?.BucketARN).toBe('arn:aws:s3:::kedge-demo-bucket');
      await new Promise((r) => setImmediate(r));
      expect(k.stdout()).toContain(`endpoint: '${url}'`);
      expect(k.stdout()).toContain(`aws --endpoint-url ${url} kinesis list-streams`);
      k.child.kill('SIGINT');
      expect((await k.exited).code).toBe(0);
    }
  });
});

describe('flag parsing', () => {
  it('turns every flag into target options, resolving paths against the working directory', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'f.mjs'), 'export const handler = () => ({ records: [] });');
    const flags = parseIngestFlags(
      [
        '--port', '0', '--host', '127.0.0.2', '--data', 'state', '--auth', 'A:s:with:colons', '--auth', 'B:t', '--no-limits', '--faults', '0.05',
        '--firehose-interval', '2.5', '--lambda', 'arn:aws:lambda:us-east-1:000000000000:function:f=./f.mjs',
        '--lambda', 'arn:aws:lambda:us-east-1:000000000000:function:g=http://127.0.0.1:9/x', '--log-level', 'debug',
      ],
      cwd,
    );
    expect(flags).toEqual({
      help: false,
      port: 0,
      host: '127.0.0.2',
      dataDir: join(cwd, 'state'),
      memory: false,
      auth: [{ accessKeyId: 'A', secretAccessKey: 's:with:colons' }, { accessKeyId: 'B', secretAccessKey: 't' }],
      limits: false,
      faultRate: 0.05,
      firehoseIntervalSeconds: 2.5,
      lambdas: {
        'arn:aws:lambda:us-east-1:000000000000:function:f': join(cwd, 'f.mjs'),
        'arn:aws:lambda:us-east-1:000000000000:function:g': 'http://127.0.0.1:9/x',
      },
      logLevel: 'debug',
    });
  });

  it('defaults to port 4567, limits on, no faults and the default data dir', () => {
    expect(parseIngestFlags([], '/')).toEqual({ help: false, port: 4567, memory: false, auth: [], limits: true, faultRate: 0, lambdas: {}, logLevel: 'info' });
  });

  it('rejects a --lambda whose module does not exist or whose ARN is not a Lambda ARN', () => {
    expect(() => parseIngestFlags(['--lambda', 'arn:aws:lambda:us-east-1:000000000000:function:f=./missing.mjs'], tempDir())).toThrow(/does not exist/);
    expect(() => parseIngestFlags(['--lambda', 'f=./x.mjs'], '/')).toThrow(/--lambda takes ARN=/);
    expect(() => parseIngestFlags(['--port'], '/')).toThrow('--port needs a value (see --help)');
    expect(() => parseIngestFlags(['--memory=yes'], '/')).toThrow(/--memory takes no value/);
    expect(() => parseIngestFlags(['--firehose-interval', '0'], '/')).toThrow(/positive number of seconds/);
    expect(() => parseIngestFlags(['--log-level', 'loud'], '/')).toThrow(/--log-level must be one of/);
  });
});

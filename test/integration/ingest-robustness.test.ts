/**
 * Hostile and broken clients on raw sockets: each gets a 4xx or a clean close, never crashes the target
 * or leaks an exchange (shutdown with a 10-minute grace would hang the test), and the target answers the
 * next good request from the real SDK clients, over HTTP/2 and HTTP/1.1.
 */
import http2 from 'node:http2';
import net from 'node:net';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/ingest/auth/authenticator.js';
import { createIngestServer, type IngestServer } from '../../src/ingest/server/ingest-server.js';
import type { JsonService } from '../../src/ingest/server/types.js';
import { http1Request, jsonRequest } from '../helpers/target.js';

/** Holds `Gated` calls until the test releases them: a request provably in flight. */
class Gate {
  private releaseGate: () => void = () => {};
  private readonly opened = new Promise<void>((resolve) => (this.releaseGate = resolve));
  private signalEntered: () => void = () => {};
  readonly entered = new Promise<void>((resolve) => (this.signalEntered = resolve));
  async pass(): Promise<void> {
    this.signalEntered();
    await this.opened;
  }
  release(): void {
    this.releaseGate();
  }
}

let gate = new Gate();

const kinesis: JsonService = {
  targetPrefix: 'Kinesis_20131202',
  signingName: 'kinesis',
  operations: {
    ListStreams: () => ({ StreamNames: ['alpha'], HasMoreStreams: false }),
    Slow: () => new Promise((resolve) => setImmediate(() => resolve({ ok: true }))),
    Gated: async () => {
      await gate.pass();
      return { gated: true };
    },
  },
};

/** Long enough that an exchange stuck forever makes `close()` outlive the test's timeout. */
const LEAK_PROOF_GRACE_MS = 10 * 60_000;

interface Running {
  server: IngestServer;
  url: string;
  port: number;
  closed: boolean;
}

const servers: Running[] = [];

async function start(options: { maxBodyBytes?: number; sniffTimeoutMs?: number; idleTimeoutMs?: number } = {}): Promise<Running> {
  const server = createIngestServer({
    authenticator: createAuthenticator({ clock: { now: () => Date.now() }, defaultRegion: 'us-east-1' }),
    clock: { now: () => Date.now() },
    accountId: '000000000000',
    defaultRegion: 'us-east-1',
    logger: pino({ level: 'silent' }),
    ...options,
  });
  server.registerJsonService(kinesis);
  const { port } = await server.listen(0, '127.0.0.1');
  const running = { server, url: `http://127.0.0.1:${port}`, port, closed: false };
  servers.push(running);
  return running;
}

afterEach(async () => {
  for (const s of servers.splice(0)) if (!s.closed) await s.server.close();
});

/** Both SDK transports still get answers, and shutdown finds no exchange left hanging. */
async function expectHealthyThenCleanShutdown(target: Running): Promise<void> {
  const common = { endpoint: target.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 };
  const h2 = new KinesisClient(common);
  const h1 = new KinesisClient({ ...common, requestHandler: new NodeHttpHandler() });
  try {
    expect((await h2.send(new ListStreamsCommand({}))).StreamNames).toEqual(['alpha']);
    expect((await h1.send(new ListStreamsCommand({}))).StreamNames).toEqual(['alpha']);
  } finally {
    h2.destroy();
    h1.destroy();
  }
  target.closed = true;
  await target.server.close(LEAK_PROOF_GRACE_MS);
}

/** Writes `chunks` on a raw TCP connection (optionally half-closing), and collects what comes back until the server closes. */
function rawConnection(port: number, chunks: (string | Buffer)[], options: { end?: boolean } = {}): Promise<{ reply: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (c) => received.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => resolve({ reply: Buffer.concat(received).toString('latin1'), ...(error ? { error } : {}) }));
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (options.end) socket.end();
    });
  });
}

const statusOf = (reply: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
const REQUEST_HEAD = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n';

describe('raw HTTP/1.1 abuse', () => {
  it('answers text that is not HTTP with 400 and closes', async () => {
    const target = await start();
    const { reply } = await rawConnection(target.port, ['hello there\r\n\r\n']);
    expect(statusOf(reply)).toBe(400);
    await expectHealthyThenCleanShutdown(target);
  });

  it('answers binary garbage (a TLS ClientHello) with 400 and closes', async () => {
    const target = await start();
    const clientHello = Buffer.from('16030100a5010000a10303' + '00'.repeat(60), 'hex');
    const { reply } = await rawConnection(target.port, [clientHello]);
    expect(statusOf(reply)).toBe(400);
    await expectHealthyThenCleanShutdown(target);
  });

  it('drops a request whose body is cut short by the client closing, without answering or leaking it', async () => {
    const target = await start();
    const { reply } = await rawConnection(target.port, [`${REQUEST_HEAD}Content-Length: 100\r\n\r\n{"Limit":`], { end: true });
    expect(reply).toBe('');
    await expectHealthyThenCleanShutdown(target);
  });

  it('answers a huge declared Content-Length with 413 at once, without waiting for the body', async () => {
    const target = await start();
    const { reply } = await rawConnection(target.port, [`${REQUEST_HEAD}Content-Length: 99999999999\r\n\r\n{"Limit":`]);
    expect(statusOf(reply)).toBe(413);
    expect(reply).toMatch(/\r\nConnection: close\r\n/i);
    await expectHealthyThenCleanShutdown(target);
  });

  it('answers a chunked body that grows past the cap with 413 and closes', async () => {
    const target = await start({ maxBodyBytes: 1024 });
    const chunk = 'x'.repeat(600);
    const hex = chunk.length.toString(16);
    const { reply } = await rawConnection(target.port, [
      `${REQUEST_HEAD}Transfer-Encoding: chunked\r\n\r\n`,
      `${hex}\r\n${chunk}\r\n`,
      `${hex}\r\n${chunk}\r\n`,
      `${hex}\r\n${chunk}\r\n`,
    ]);
    expect(statusOf(reply)).toBe(413);
    await expectHealthyThenCleanShutdown(target);
  });

  it('answers a Content-Length that is not a number with 400', async () => {
    const target = await start();
    const { reply } = await rawConnection(target.port, [`${REQUEST_HEAD}Content-Length: abc\r\n\r\n{}`]);
    expect(statusOf(reply)).toBe(400);
    await expectHealthyThenCleanShutdown(target);
  });

  it('answers oversized headers with 431', async () => {
    const target = await start();
    const { reply } = await rawConnection(target.port, [`${REQUEST_HEAD}X-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`]);
    expect(statusOf(reply)).toBe(431);
    await expectHealthyThenCleanShutdown(target);
  });

  it('answers pipelined requests sent in one write, in order', async () => {
    const target = await start();
    const one = `${REQUEST_HEAD}Content-Length: 2\r\n\r\n{}`;
    const last = `${REQUEST_HEAD}Content-Length: 2\r\nConnection: close\r\n\r\n{}`;
    const { reply } = await rawConnection(target.port, [one + one + last]);
    expect(reply.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(3);
    await expectHealthyThenCleanShutdown(target);
  });

  it('drops a connection that stalls in the middle of its headers once it has been idle too long', async () => {
    const target = await start({ idleTimeoutMs: 200 });
    const { reply } = await rawConnection(target.port, ['POST / HTTP/1.1\r\nHost: x\r\n']);
    expect(statusOf(reply) === 0 || statusOf(reply) === 408).toBe(true);
    await expectHealthyThenCleanShutdown(target);
  });

  it('drops a connection that never sends enough bytes to tell HTTP/1.1 from HTTP/2', async () => {
    const target = await start({ sniffTimeoutMs: 100 });
    const silent = await rawConnection(target.port, []);
    expect(silent.reply).toBe('');
    const halfPreface = await rawConnection(target.port, ['PRI * HTTP/2.0\r\n']);
    expect(halfPreface.reply).toBe('');
    await expectHealthyThenCleanShutdown(target);
  });

  it('survives a client resetting the connection while its request is being answered', async () => {
    const target = await start();
    await new Promise<void>((resolve) => {
      const socket = net.connect(target.port, '127.0.0.1', () => {
        socket.write(`${REQUEST_HEAD}Content-Length: 2\r\n\r\n{}`);
        socket.resetAndDestroy();
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve());
    });
    await expectHealthyThenCleanShutdown(target);
  });
});

describe('raw HTTP/2 abuse', () => {
  it('closes a connection that sends the HTTP/2 preface followed by garbage', async () => {
    const target = await start();
    const { reply } = await rawConnection(target.port, ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', Buffer.alloc(64, 0xff)]);
    // GOAWAY frame (type 0x07) before the close, or a bare close: either way, no hang.
    expect(reply.length === 0 || reply.includes('\x07')).toBe(true);
    await expectHealthyThenCleanShutdown(target);
  });

  it('drops a stream the client cancels halfway through its body, without leaking it', async () => {
    const target = await start();
    const session = http2.connect(target.url);
    session.on('error', () => {});
    const stream = session.request({ ':method': 'POST', ':path': '/', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.ListStreams', 'content-length': '1000' });
    stream.on('error', () => {});
    stream.write('{"Limit":');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => stream.close(http2.constants.NGHTTP2_CANCEL, () => resolve()));
    session.close();
    await expectHealthyThenCleanShutdown(target);
  });

  it('closes an HTTP/2 session that has been idle too long', async () => {
    const target = await start({ idleTimeoutMs: 200 });
    const session = http2.connect(target.url);
    session.on('error', () => {});
    await new Promise<void>((resolve) => session.on('connect', () => resolve()));
    await new Promise<void>((resolve) => session.on('close', () => resolve()));
    expect(session.destroyed).toBe(true);
    await expectHealthyThenCleanShutdown(target);
  });

  it('answers 200 streams in parallel on one session', async () => {
    const target = await start();
    const session = http2.connect(target.url);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 200 }, () =>
          new Promise<number>((resolve, reject) => {
            const stream = session.request({ ':method': 'POST', ':path': '/', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Kinesis_20131202.Slow' });
            let status = 0;
            stream.on('response', (h) => (status = Number(h[':status'])));
            stream.on('data', () => {});
            stream.on('end', () => resolve(status));
            stream.on('error', reject);
            stream.end('{}');
          }),
        ),
      );
      expect(new Set(statuses)).toEqual(new Set([200]));
    } finally {
      session.close();
    }
    await expectHealthyThenCleanShutdown(target);
  });

  it('lets a request in flight finish during shutdown, and answers 503 to a new request on an open connection', async () => {
    const target = await start();
    gate = new Gate();
    // An idle keep-alive connection, already known to be HTTP/1.1.
    const idle = net.connect(target.port, '127.0.0.1');
    const replies: Buffer[] = [];
    idle.on('data', (c) => replies.push(c));
    idle.on('error', () => {});
    const replyCount = (n: number) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if ((Buffer.concat(replies).toString().match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= n) {
            idle.off('data', check);
            resolve();
          }
        };
        idle.on('data', check);
        check();
      });
    idle.write(`${REQUEST_HEAD}Content-Length: 2\r\n\r\n{}`);
    await replyCount(1);
    try {
      const inFlight = http1Request(target.url, jsonRequest('Kinesis_20131202.Gated'));
      await gate.entered;
      target.closed = true;
      const closing = target.server.close(LEAK_PROOF_GRACE_MS);
      idle.write(`${REQUEST_HEAD}Content-Length: 2\r\n\r\n{}`);
      await replyCount(2);
      const second = Buffer.concat(replies).toString().split(/(?=HTTP\/1\.1 )/)[1]!;
      expect(second).toMatch(/^HTTP\/1\.1 503 /);
      expect(second).toContain('ServiceUnavailableException');
      gate.release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toEqual({ gated: true });
      await closing;
    } finally {
      gate.release();
      idle.destroy();
    }
  });
});

/**
 * The one-port trick relies on how node's HTTP servers take over a socket (see protocol-sniffer.ts), which
 * could change between node versions; these checks run with the unit tests on every node CI uses.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HTTP2_PREFACE, createSniffingServer } from '../../../../src/ingest/server/protocol-sniffer.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function start(sniffTimeoutMs = 30_000): Promise<number> {
  const h1 = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(`h1 ${req.method} ${req.url} ${body}`));
  });
  const h2 = http2.createServer();
  h2.on('stream', (stream, headers) => {
    stream.respond({ ':status': 200 });
    stream.end(`h2 ${headers[':path']}`);
  });
  const { server, sockets } = createSniffingServer({ http1: h1, http2: h2, sniffTimeoutMs, logger: pino({ level: 'silent' }) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  });
  return (server.address() as net.AddressInfo).port;
}

function raw(port: number, writes: (string | Buffer)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (c) => (reply += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(reply));
    socket.on('connect', async () => {
      for (const w of writes) {
        socket.write(w);
        await new Promise((r) => setTimeout(r, 20)); // separate TCP segments
      }
    });
  });
}

describe('protocol sniffing on one port', () => {
  it('hands HTTP/1.1 connections to the HTTP/1.1 server with the sniffed bytes intact', async () => {
    const port = await start();
    const reply = await raw(port, ['POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello']);
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(reply.endsWith('h1 POST /a hello')).toBe(true);
  });

  it('hands HTTP/2 prior-knowledge connections to the HTTP/2 server', async () => {
    const port = await start();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      for (const path of ['/one', '/two']) {
        const body = await new Promise<string>((resolve, reject) => {
          const stream = session.request({ ':path': path });
          let data = '';
          stream.on('data', (c: Buffer) => (data += c.toString()));
          stream.on('end', () => resolve(data));
          stream.on('error', reject);
        });
        expect(body).toBe(`h2 ${path}`);
      }
    } finally {
      session.close();
    }
  });

  it('waits for the rest of a preface split across TCP segments', async () => {
    const port = await start();
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]); // empty SETTINGS frame
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', reject);
      socket.once('data', (c: Buffer) => {
        resolve(c);
        socket.destroy();
      });
      socket.on('connect', async () => {
        socket.write(HTTP2_PREFACE.subarray(0, 10));
        await new Promise((r) => setTimeout(r, 20));
        socket.write(Buffer.concat([HTTP2_PREFACE.subarray(10), settings]));
      });
    });
    expect(reply[3]).toBe(0x04); // the server's own SETTINGS frame: it speaks HTTP/2
  });

  it('sends a request that only starts like the preface to HTTP/1.1', async () => {
    const port = await start();
    const reply = await raw(port, ['PRI', 'NT /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(reply).toMatch(/^HTTP\/1\.1 /);
  });

  it('drops a connection that stays silent', async () => {
    const port = await start(50);
    expect(await raw(port, [])).toBe('');
  });
});

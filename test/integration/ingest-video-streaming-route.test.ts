/**
 * The server's streaming-request routes (what PutMedia needs): the handler reads the body as it arrives
 * and its streamed answer goes out while the upload continues, over HTTP/1.1 and h2c; authentication sees
 * the head with the body counted as empty, as KVS producers sign; errors are restJson1 errors; the
 * connection closes after the answer even if the upload goes on.
 */
import http from 'node:http';
import http2 from 'node:http2';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_PAYLOAD_SHA256, signRequest } from '../../src/aws/sigv4.js';
import { createAuthenticator, type Credential } from '../../src/ingest/auth/authenticator.js';
import { createIngestServer, type IngestServer } from '../../src/ingest/server/ingest-server.js';
import { ServiceError } from '../../src/ingest/server/service-error.js';
import type { PathService, StreamingIngestRequest } from '../../src/ingest/server/types.js';
import { AsyncQueue } from '../../src/ingest/video/async-queue.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const KEY: Credential = { accessKeyId: 'AKIDVIDEO', secretAccessKey: 'video-secret' };

interface Observed {
  handled: number;
  chunksSeen: number;
  iterationFailed: boolean;
  finished: Promise<void>;
}

/** `/echo` answers each body chunk with its length as soon as it arrives; `/first` stops after one chunk. */
function service(observed: Observed): PathService {
  let finish!: () => void;
  observed.finished = new Promise((resolve) => (finish = resolve));
  const echo = (request: StreamingIngestRequest, stopAfterFirst: boolean) => {
    observed.handled++;
    const out = new AsyncQueue<Uint8Array>();
    void (async () => {
      try {
        for await (const chunk of request.body) {
          observed.chunksSeen++;
          out.push(Buffer.from(`${chunk.length}\n`));
          if (stopAfterFirst) break;
        }
      } catch {
        observed.iterationFailed = true;
      } finally {
        out.end();
        finish();
      }
    })();
    return { status: 200, headers: { 'Content-Type': 'text/plain' }, stream: out };
  };
  return {
    routes: [
      { method: 'POST', path: '/echo', signingName: 'kinesisvideo', streamingBody: true, handle: (r: StreamingIngestRequest) => echo(r, false) },
      { method: 'POST', path: '/first', signingName: 'kinesisvideo', streamingBody: true, handle: (r: StreamingIngestRequest) => echo(r, true) },
      {
        method: 'POST',
        path: '/refuse',
        signingName: 'kinesisvideo',
        streamingBody: true,
        handle: () => {
          throw new ServiceError('ResourceNotFoundException', 'no such stream', 404);
        },
      },
    ],
  };
}

const servers: IngestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(100);
});

async function start(auth: Credential[] = []): Promise<{ url: string; observed: Observed }> {
  const clock = { now: () => NOW };
  const server = createIngestServer({
    authenticator: createAuthenticator({ credentials: auth, clock, defaultRegion: 'us-east-1' }),
    clock,
    accountId: '000000000000',
    defaultRegion: 'us-east-1',
    logger: pino({ level: 'silent' }),
  });
  const observed: Observed = { handled: 0, chunksSeen: 0, iterationFailed: false, finished: Promise.resolve() };
  server.registerPathService(service(observed));
  servers.push(server);
  const address = await server.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${address.port}`, observed };
}

/** Resolves with the next `n` bytes of a readable's data. */
function nextData(readable: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => readable.once('data', (c: Buffer) => resolve(c.toString())));
}

describe('streaming-request routes', () => {
  it('hand the body over as it arrives and stream the answer back while the HTTP/1.1 upload is still open', async () => {
    const { url, observed } = await start();
    const req = http.request(`${url}/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false });
    const response = new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    req.write(Buffer.alloc(5));
    const res = await response;
    expect(res.statusCode).toBe(200);
    // Each answer arrives before the next chunk is even sent: request and response interleave.
    expect(await nextData(res)).toBe('5\n');
    req.write(Buffer.alloc(7));
    expect(await nextData(res)).toBe('7\n');
    const ended = new Promise<void>((resolve) => res.on('end', resolve));
    req.end();
    await ended;
    expect(observed.chunksSeen).toBe(2);
  });

  it('send the response head at once, before the answer has any body (a PutMedia 200 precedes the first ACK)', async () => {
    const { url } = await start();
    const req = http.request(`${url}/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false });
    req.on('error', () => {});
    req.flushHeaders(); // no body byte sent: the handler has nothing to answer yet
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    expect(res.statusCode).toBe(200);
    req.destroy();
  });

  it('do the same over h2c', async () => {
    const { url } = await start();
    const session = http2.connect(url);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/echo' });
      stream.write(Buffer.alloc(3));
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
      expect(headers[':status']).toBe(200);
      expect(await nextData(stream)).toBe('3\n');
      stream.write(Buffer.alloc(11));
      expect(await nextData(stream)).toBe('11\n');
      const ended = new Promise<void>((resolve) => stream.on('end', resolve));
      stream.end();
      await ended;
    } finally {
      session.close();
    }
  });

  it('close the HTTP/1.1 connection once the answer is complete, though the client is still uploading', async () => {
    const { url, observed } = await start();
    const req = http.request(`${url}/first`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false });
    req.on('error', () => {}); // writes after the close may fail; that is the point
    const res = await new Promise<http.IncomingMessage>((resolve) => {
      req.on('response', resolve);
      req.write(Buffer.alloc(4));
    });
    const body: string[] = [];
    res.on('data', (c: Buffer) => body.push(c.toString()));
    await new Promise<void>((resolve) => res.on('end', resolve));
    expect(body.join('')).toBe('4\n');
    expect(res.headers.connection).toBe('close');
    await new Promise<void>((resolve) => (req.socket!.destroyed ? resolve() : req.socket!.once('close', () => resolve())));
    expect(observed.chunksSeen).toBe(1);
  });

  it('let the handler see a client that quits mid-upload (the body iteration fails) so it can end', async () => {
    const { url, observed } = await start();
    const req = http.request(`${url}/echo`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false });
    req.on('error', () => {});
    const res = await new Promise<http.IncomingMessage>((resolve) => {
      req.on('response', resolve);
      req.write(Buffer.alloc(9));
    });
    expect(await nextData(res)).toBe('9\n');
    req.destroy();
    await observed.finished;
    expect(observed.iterationFailed).toBe(true);
  });

  it('answer a refusal before the body as a restJson1 error (x-amzn-ErrorType, message) and close the connection', async () => {
    const { url } = await start();
    const req = http.request(`${url}/refuse`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false });
    req.on('error', () => {});
    req.write(Buffer.alloc(100));
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({ message: 'no such stream' });
  });

  it('authenticate the head with the body counted as empty: signed like a KVS producer passes, a wrong signature never reaches the handler', async () => {
    const { url, observed } = await start([KEY]);
    const port = new URL(url).port;
    const send = (secret: string): Promise<http.IncomingMessage> => {
      const { headers } = signRequest(
        { method: 'POST', path: '/echo', headers: { host: `127.0.0.1:${port}`, 'transfer-encoding': 'chunked', 'x-amzn-stream-name': 'cam' } },
        { credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: secret }, region: 'us-east-1', service: 'kinesisvideo', date: new Date(NOW), payloadHash: EMPTY_PAYLOAD_SHA256 },
      );
      const req = http.request(`${url}/echo`, { method: 'POST', headers, agent: false });
      req.on('error', () => {});
      req.end(Buffer.alloc(6));
      return new Promise((resolve) => req.on('response', resolve));
    };
    const good = await send(KEY.secretAccessKey);
    expect(good.statusCode).toBe(200);
    expect(await nextData(good)).toBe('6\n');
    const bad = await send('not-the-secret');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    expect(observed.handled).toBe(1);
  });
});

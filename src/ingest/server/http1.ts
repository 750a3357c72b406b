/** HTTP/1.1 side of the port: turns node:http requests into Exchanges. It never listens itself. */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { bodyChunks, collectBody, declaredLength, splitTarget, writeStreamingBody, type Exchange, type ExchangeHandler } from './exchange.js';
import type { IngestResponse, StreamingIngestResponse } from './types.js';

export interface Http1Options {
  /** Idle time after which a connection is dropped (keep-alive or a stalled request). */
  idleTimeoutMs: number;
  logger: Logger;
}

export function createHttp1Server(handle: ExchangeHandler, options: Http1Options): http.Server {
  const server = http.createServer({ keepAliveTimeout: options.idleTimeoutMs }, (req, res) => {
    void handle(toExchange(req, res));
  });
  // Without listen(), node:http's own request/headers timers never start; a socket timeout covers slow peers.
  server.timeout = options.idleTimeoutMs;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket, options.logger));
  return server;
}

function toExchange(req: http.IncomingMessage, res: http.ServerResponse): Exchange {
  const { path, query } = splitTarget(req.url ?? '/');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // The Date header comes from the target's injected clock (the SDK corrects its clock skew from it).
  res.sendDate = false;
  req.on('error', () => {}); // an aborted upload surfaces through collectBody; never as an uncaught error
  return {
    head: { method: req.method ?? 'GET', path, query, headers, httpVersion: '1.1' },
    bodyChunks: () => bodyChunks(req),
    readBody: (limit) => collectBody(req, limit, declaredLength(req.headers['content-length'])),
    respond: (response, opts) => respond(res, response, opts?.close === true),
    destroy: () => req.socket.destroy(),
  };
}

async function respond(res: http.ServerResponse, response: IngestResponse | StreamingIngestResponse, close: boolean): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  if (close) res.shouldKeepAlive = false;
  if ('stream' in response) {
    res.writeHead(response.status, response.headers);
    // The head goes out now, not with the first chunk: a streamed answer (PutMedia's 200, a live GetMedia)
    // may have nothing to send for a while.
    res.flushHeaders();
    await writeStreamingBody(res, response.stream);
    return;
  }
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
  res.end(body);
}

/** Bytes that are not HTTP: answer as node would (400 / 431 / 413), then close; never throw. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket, logger: Logger): void {
  logger.debug({ err: err.message, code: err.code }, 'malformed HTTP/1.1 request');
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * One TCP port for both HTTP versions. HTTP/2 with prior knowledge starts with a fixed 24-byte preface
 * (RFC 9113 §3.4); anything else is HTTP/1.1. The listener reads just enough of each new connection to
 * tell, then hands the socket to the matching node server via `emit('connection')`.
 */
import net from 'node:net';
import type http from 'node:http';
import type http2 from 'node:http2';
import type { Logger } from 'pino';

export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface SniffingServerOptions {
  http1: http.Server;
  http2: http2.Http2Server;
  /** A connection that has not sent enough to be classified in this time is dropped. */
  sniffTimeoutMs: number;
  logger: Logger;
}

export interface SniffingServer {
  readonly server: net.Server;
  /** Every socket accepted and not yet closed, for shutdown. */
  readonly sockets: ReadonlySet<net.Socket>;
}

export function createSniffingServer(options: SniffingServerOptions): SniffingServer {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Until a protocol server owns the socket, its errors are ours; after, both listeners just log or ignore.
    socket.on('error', (err) => options.logger.debug({ err: err.message }, 'connection error'));
    sniff(socket, options);
  });
  return { server, sockets };
}

function sniff(socket: net.Socket, options: SniffingServerOptions): void {
  let seen: Buffer = Buffer.alloc(0);
  const onTimeout = (): void => {
    options.logger.debug('connection sent too little to tell HTTP/1.1 from HTTP/2; dropped');
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    if (!seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n))) handOff('1.1');
    else if (seen.length >= HTTP2_PREFACE.length) handOff('2');
  };
  const handOff = (version: '1.1' | '2'): void => {
    socket.off('data', onData);
    socket.off('timeout', onTimeout);
    socket.setTimeout(0);
    if (version === '2') {
      // node's HTTP/2 session reads bytes already buffered on the socket before taking over its handle.
      socket.pause();
      socket.unshift(seen);
      options.http2.emit('connection', socket);
    } else {
      // node's HTTP/1.1 parser consumes the socket's native handle directly and would skip unshifted
      // bytes, so the sniffed bytes are fed to its 'data' listener instead.
      options.http1.emit('connection', socket);
      socket.emit('data', seen);
    }
  };
  socket.setTimeout(options.sniffTimeoutMs);
  socket.on('timeout', onTimeout);
  socket.on('data', onData);
}

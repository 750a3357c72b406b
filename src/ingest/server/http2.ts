/**
 * HTTP/2 (cleartext, prior knowledge) side of the port: what the default `@aws-sdk/client-kinesis` speaks.
 * Uses the core stream API, not the compat layer, so every stream and session error has a listener.
 */
import http2 from 'node:http2';
import type { Logger } from 'pino';
import { bodyChunks, collectBody, declaredLength, splitTarget, writeStreamingBody, type Exchange, type ExchangeHandler } from './exchange.js';
import type { IngestResponse, StreamingIngestResponse } from './types.js';

export interface Http2Options {
  idleTimeoutMs: number;
  logger: Logger;
}

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL } = http2.constants;

// Flow-control windows: the 64 KiB defaults make a 10 MiB PutRecords wait on ~160 WINDOW_UPDATE round trips.
const STREAM_WINDOW_BYTES = 1 << 20;
const SESSION_WINDOW_BYTES = 16 << 20;

export function createHttp2Server(handle: ExchangeHandler, options: Http2Options): http2.Http2Server {
  const server = http2.createServer({ settings: { initialWindowSize: STREAM_WINDOW_BYTES } });
  server.setTimeout(options.idleTimeoutMs); // idle sessions are closed (the default for a server without a callback)
  server.on('session', (session) => {
    session.on('error', (err) => options.logger.debug({ err: err.message }, 'HTTP/2 session error'));
    session.on('connect', () => session.setLocalWindowSize(SESSION_WINDOW_BYTES));
  });
  server.on('sessionError', (err) => options.logger.debug({ err: err.message }, 'HTTP/2 session error'));
  server.on('stream', (stream, headers) => {
    stream.on('error', (err) => options.logger.debug({ err: err.message }, 'HTTP/2 stream error'));
    void handle(toExchange(stream, headers));
  });
  return server;
}

function toExchange(stream: http2.ServerHttp2Stream, incoming: http2.IncomingHttpHeaders): Exchange {
  const { path, query } = splitTarget(String(incoming[':path'] ?? '/'));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return {
    head: { method: String(incoming[':method'] ?? 'GET'), path, query, headers, httpVersion: '2' },
    bodyChunks: () => bodyChunks(stream),
    readBody: (limit) => collectBody(stream, limit, declaredLength(headers['content-length'])),
    respond: (response, opts) => respond(stream, response, opts?.close === true),
    destroy: () => {
      if (!stream.closed) stream.close(NGHTTP2_CANCEL);
    },
  };
}

async function respond(stream: http2.ServerHttp2Stream, response: IngestResponse | StreamingIngestResponse, close: boolean): Promise<void> {
  if (stream.headersSent || stream.closed || stream.destroyed) return;
  const headers: http2.OutgoingHttpHeaders = { ':status': response.status };
  for (const [name, value] of Object.entries(response.headers)) {
    const lower = name.toLowerCase();
    // Connection-specific headers are forbidden in HTTP/2 (RFC 9113 §8.2.2); node throws on them.
    if (lower === 'connection' || lower === 'keep-alive' || lower === 'transfer-encoding') continue;
    headers[lower] = value;
  }
  if ('stream' in response) {
    stream.respond(headers);
    await writeStreamingBody(stream, response.stream);
    // A streaming route's upload may still be going: stop it once the answer is flushed (an RST before
    // that would discard its end).
    if (close && !stream.closed) {
      if (stream.writableFinished) stream.close(NGHTTP2_NO_ERROR);
      else stream.once('finish', () => stream.close(NGHTTP2_NO_ERROR));
    }
    return;
  }
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  headers['content-length'] = body.length;
  stream.respond(headers);
  // After an early answer (413) the client may still be sending: RST_STREAM(NO_ERROR) tells it to stop
  // without treating the response as failed (RFC 9113 §8.1).
  stream.end(body, close ? () => stream.close(NGHTTP2_NO_ERROR) : undefined);
}

/**
 * One request/response exchange, the same for HTTP/1.1 and HTTP/2: what the protocol adapters hand the
 * router. Bodies are read on demand and capped, so an oversized upload is refused without being buffered.
 */
import type { Readable, Writable } from 'node:stream';
import type { IngestResponse, RequestHead, StreamingIngestResponse } from './types.js';

export interface Exchange {
  readonly head: RequestHead;
  /** Reads the whole body. Rejects with BodyTooLargeError past `limit` bytes, RequestAbortedError if the peer quits. */
  readBody(limit: number): Promise<Buffer>;
  /**
   * The body as it arrives, uncapped (streaming routes). Breaking out of the loop leaves the connection
   * open, so a response can still be written; a peer that quits mid-body makes the iteration throw.
   */
  bodyChunks(): AsyncIterable<Uint8Array>;
  /** `close`: end the connection (HTTP/1.1) or reset the stream (HTTP/2) after the response, e.g. after a 413. */
  respond(response: IngestResponse | StreamingIngestResponse, options?: { close?: boolean }): Promise<void>;
  /** Ends the exchange without a response (the peer already went away). */
  destroy(): void;
}

export type ExchangeHandler = (exchange: Exchange) => Promise<void>;

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number, readonly declared: number | undefined) {
    super(declared === undefined ? `request body exceeds ${limit} bytes` : `request body of ${declared} bytes exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export class RequestAbortedError extends Error {
  constructor(cause?: unknown) {
    super('the client went away before the request body was complete', { cause });
    this.name = 'RequestAbortedError';
  }
}

/**
 * Collects a body stream up to `limit` bytes. A declared Content-Length over the limit is refused before
 * reading a byte; a body that grows past it is refused as soon as it does. Either way the data read so far
 * is dropped and the stream is paused, so the caller can answer 413 and close.
 */
export function collectBody(stream: Readable, limit: number, declaredLength: number | undefined): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength > limit) {
    stream.pause();
    return Promise.reject(new BodyTooLargeError(limit, declaredLength));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > limit) {
        cleanup();
        chunks.length = 0;
        stream.pause();
        reject(new BodyTooLargeError(limit, declaredLength));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (err: unknown): void => {
      cleanup();
      reject(new RequestAbortedError(err));
    };
    // 'close' before 'end': the connection or stream was torn down mid-body.
    const onClose = (): void => {
      cleanup();
      reject(new RequestAbortedError());
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * A readable's chunks without destroying it when the consumer stops early: destroying an unfinished
 * HTTP/1.1 request destroys its socket, which would cut off the response still to be written.
 */
export function bodyChunks(stream: Readable): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => stream.iterator({ destroyOnReturn: false }) as AsyncIterator<Uint8Array> };
}

/** Writes a streaming response body with back-pressure; stops the source if the peer goes away. */
export async function writeStreamingBody(target: Writable, source: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of source) {
    if (target.destroyed) break; // leaving the loop calls the source's return()
    if (!target.write(chunk)) {
      const gone = await drainedOrClosed(target);
      if (gone) break;
    }
  }
  if (!target.destroyed) target.end();
}

function drainedOrClosed(target: Writable): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = (): void => finish(false);
    const onClose = (): void => finish(true);
    const finish = (gone: boolean): void => {
      target.off('drain', onDrain);
      target.off('close', onClose);
      resolve(gone);
    };
    target.on('drain', onDrain);
    target.on('close', onClose);
  });
}

/** Parses a Content-Length header; undefined when absent or not a plain decimal. */
export function declaredLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Splits a request target into the raw path (percent-encoding kept) and its query. */
export function splitTarget(target: string): { path: string; query: URLSearchParams } {
  let rest = target;
  // Absolute-form (`http://host/path`), which a proxy-minded client may send.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const path = (q >= 0 ? rest.slice(0, q) : rest) || '/';
  return { path, query: new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '') };
}

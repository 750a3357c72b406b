/**
 * The ingest target's HTTP front: one port, HTTP/1.1 and h2c, routed to the registered services.
 * Composition only; each part (sniffer, protocol adapters, router) lives in its own module.
 */
import type { ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { Authenticator } from '../auth/authenticator.js';
import { createHttp1Server } from './http1.js';
import { createHttp2Server } from './http2.js';
import { createSniffingServer } from './protocol-sniffer.js';
import { IngestRouter, healthCheck } from './router.js';
import type { JsonService, PathService } from './types.js';

/** Larger than any valid request (PutRecords: 500 records, 10 MiB of data, base64 in JSON ≈ 13.4 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface IngestServerOptions {
  authenticator: Authenticator;
  clock: Clock;
  accountId: string;
  defaultRegion: string;
  logger: Logger;
  maxBodyBytes?: number;
  /** Idle keep-alive connections and stalled requests are dropped after this. Default 120 s. */
  idleTimeoutMs?: number;
  /** A new connection must send its first bytes within this. Default 30 s. */
  sniffTimeoutMs?: number;
}

export interface IngestServer {
  registerJsonService(service: JsonService): void;
  registerPathService(service: PathService): void;
  /** Resolves with the bound address once listening. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /**
   * Stops accepting, answers 503 to new requests on open connections, lets requests in flight finish
   * (up to `graceMs`), then closes every connection.
   */
  close(graceMs?: number): Promise<void>;
}

export function createIngestServer(options: IngestServerOptions): IngestServer {
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const router = new IngestRouter({
    authenticator: options.authenticator,
    clock: options.clock,
    accountId: options.accountId,
    defaultRegion: options.defaultRegion,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    logger: options.logger,
  });
  router.registerPathService(healthCheck);
  const http1 = createHttp1Server(router.handle, { idleTimeoutMs, logger: options.logger });
  const http2 = createHttp2Server(router.handle, { idleTimeoutMs, logger: options.logger });
  const sessions = new Set<ServerHttp2Session>();
  http2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const { server, sockets } = createSniffingServer({
    http1,
    http2,
    sniffTimeoutMs: options.sniffTimeoutMs ?? 30_000,
    logger: options.logger,
  });
  let closed: Promise<void> | undefined;

  return {
    registerJsonService: (service) => router.registerJsonService(service),
    registerPathService: (service) => router.registerPathService(service),
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: (graceMs = 5_000) => {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const session of sessions) session.close(); // GOAWAY: no new streams, running ones finish
        await router.drain(graceMs);
        for (const socket of sockets) socket.destroy();
        await stopped;
      })();
      return closed;
    },
  };
}

/**
 * `POST /putMedia`: checks the headers (kvs.md §1.2) and the stream, answers 200 at once, then streams
 * the ACKs of a PutMediaIngest while the chunked body is still arriving. One timer per connection sends
 * IDLE while no data comes, closes the request after 30 s of silence and enforces the 45-minute
 * connection limit (4003) even on a connection that went quiet.
 */
import type { Logger } from 'pino';
import type { Clock, Sleep } from '../../core/clock.js';
import type { StreamingIngestResponse, StreamingPathRoute } from '../server/types.js';
import { AckError, idleAck, type AckErrorKind } from './ack.js';
import { AsyncQueue } from './async-queue.js';
import { clientLimitExceeded, connectionLimitExceeded, invalidArgument } from './errors.js';
import { streamRefOf } from './input.js';
import { MAX_CONNECTION_DURATION_MS, PUT_MEDIA_TPS } from './limits.js';
import { PutMediaIngest, type TimecodeType } from './put-media-ingest.js';
import { KVS_SIGNING_NAME } from './rest-json.js';
import type { VideoCatalog } from './video-catalog.js';

export interface PutMediaRouteOptions {
  readonly catalog: VideoCatalog;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly logger: Logger;
  readonly idleAckIntervalMs: number;
  readonly idleTimeoutMs: number;
}

/** A running upload as the service sees it: stopped quietly when the target closes. */
export interface RunningUpload {
  stop(): void;
  /** Resolves when the upload has ended and its fragments are stored. */
  readonly finished: Promise<void>;
}

export function putMediaRoute(o: PutMediaRouteOptions, running: Set<RunningUpload>): StreamingPathRoute {
  return {
    method: 'POST',
    path: '/putMedia',
    signingName: KVS_SIGNING_NAME,
    streamingBody: true,
    handle: (request, ctx): StreamingIngestResponse => {
      const h = request.headers;
      const name = h['x-amzn-stream-name'];
      const arn = h['x-amzn-stream-arn'];
      if (name !== undefined && arn !== undefined) throw invalidArgument('Send x-amzn-stream-name or x-amzn-stream-arn, not both.');
      const ref = streamRefOf(name, arn);
      const timecodeType = h['x-amzn-fragment-timecode-type'];
      if (timecodeType !== 'ABSOLUTE' && timecodeType !== 'RELATIVE') {
        throw invalidArgument(`x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE, got ${timecodeType === undefined ? 'none' : `'${timecodeType}'`}.`);
      }
      const producerStartMs = parseProducerStart(h['x-amzn-producer-start-timestamp']);
      const info = o.catalog.find(ref);
      if (!o.catalog.gate.allow(`${info.name}/PutMedia`, PUT_MEDIA_TPS, ctx.now)) {
        throw clientLimitExceeded(`PutMedia is limited to ${PUT_MEDIA_TPS} connections per second per stream; back off and retry.`);
      }
      const store = o.catalog.store(info);

      const stopper = new AbortController();
      const queue = new AsyncQueue<Uint8Array>(() => {
        // The peer stopped reading ACKs (gone): stop taking its data.
        ingest.stop();
        stopper.abort();
      });
      const ingest = new PutMediaIngest({
        store,
        timecodeType: timecodeType as TimecodeType,
        producerStartMs,
        clock: o.clock,
        retentionHours: () => o.catalog.registry.get(info.name)?.dataRetentionInHours ?? info.dataRetentionInHours,
        send: (ack) => queue.push(ack),
        onStoreError: (err) => o.logger.error({ err, stream: info.name, requestId: ctx.requestId }, 'PutMedia could not store a fragment'),
      });
      const upload = {
        fail: (error: AckErrorKind): void => {
          ingest.fail(error);
          stopper.abort();
        },
      };
      if (!o.catalog.claimUpload(info.name, upload)) {
        throw connectionLimitExceeded(`Stream ${info.name} already has a PutMedia connection; the service allows one per stream. Close it first.`);
      }
      const finished = (async () => {
        const ticking = tick(o, ingest, queue, upload, stopper);
        try {
          await pump(request.body, ingest, stopper.signal, o.logger);
        } finally {
          stopper.abort();
          await ticking;
          await ingest.settled();
          o.catalog.releaseUpload(info.name, upload);
          queue.end();
        }
      })();
      const handle: RunningUpload = {
        stop: () => {
          ingest.stop();
          stopper.abort();
        },
        finished,
      };
      running.add(handle);
      void finished.finally(() => running.delete(handle));
      return { status: 200, headers: { 'Content-Type': 'application/json' }, stream: queue };
    },
  };
}

/** Feeds the body to the session until it ends, the session stops, or `signal` aborts. */
async function pump(body: AsyncIterable<Uint8Array>, ingest: PutMediaIngest, signal: AbortSignal, logger: Logger): Promise<void> {
  const it = body[Symbol.asyncIterator]();
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    while (!ingest.stopped) {
      let next: IteratorResult<Uint8Array> | 'aborted';
      try {
        next = await Promise.race([it.next(), aborted]);
      } catch {
        // The peer quit mid-body: nobody will read ACKs; the fragments already complete are still stored.
        ingest.stop();
        return;
      }
      if (next === 'aborted') return;
      if (next.done) {
        ingest.finish();
        return;
      }
      if (!ingest.push(next.value)) return;
    }
  } catch (err) {
    // A bug, not the client's doing: answer 5000 rather than leave the upload hanging.
    logger.error({ err }, 'PutMedia session failed');
    ingest.fail(AckError.InternalError);
  } finally {
    // Not awaited: a read may still be pending on a quiet connection; the server closes it after the answer.
    it.return?.().catch(() => {});
  }
}

/** One timer per connection: IDLE while quiet, close after the idle timeout, 4003 at 45 minutes. */
async function tick(
  o: PutMediaRouteOptions,
  ingest: PutMediaIngest,
  queue: AsyncQueue<Uint8Array>,
  upload: { fail(error: AckErrorKind): void },
  stopper: AbortController,
): Promise<void> {
  while (!stopper.signal.aborted) {
    try {
      await o.sleep(o.idleAckIntervalMs, stopper.signal);
    } catch {
      return;
    }
    if (stopper.signal.aborted) return;
    const now = o.clock.now();
    if (now - ingest.startedAt >= MAX_CONNECTION_DURATION_MS) {
      upload.fail(AckError.MaxConnectionDuration);
      return;
    }
    const quietFor = now - ingest.lastDataAt;
    if (quietFor >= o.idleTimeoutMs) {
      ingest.finish();
      stopper.abort();
      return;
    }
    if (quietFor >= o.idleAckIntervalMs) queue.push(idleAck());
  }
}

/** Epoch seconds with an optional fraction (`1595833960.258`; producer-c may send `1595833960.58`). */
function parseProducerStart(value: string | undefined): number {
  if (value === undefined || !/^\d{1,12}(\.\d{1,9})?$/.test(value.trim())) {
    throw invalidArgument(
      `x-amzn-producer-start-timestamp must be epoch seconds such as 1595833960.258, got ${value === undefined ? 'none' : `'${value}'`}.`,
    );
  }
  return Math.round(Number(value.trim()) * 1000);
}

/**
 * `POST /getMedia` (client-kinesis-video-media): the stream's fragments from a StartSelector on, as MKV
 * documents back to back, staying open for live data. Every selector type is served: NOW (the next
 * fragment to arrive), EARLIEST, FRAGMENT_NUMBER (from that fragment on), CONTINUATION_TOKEN (after the
 * fragment the token names), SERVER_TIMESTAMP and PRODUCER_TIMESTAMP (from the fragment containing that
 * time, or the first after it). While waiting for live data an empty chunk goes out now and then, so a
 * reader that went away is noticed and its wait ends.
 */
import type { Clock, Sleep } from '../../core/clock.js';
import type { PathRoute } from '../server/types.js';
import { invalidArgument } from './errors.js';
import { compareFragmentNumbers, isFragmentNumber } from './fragment-number.js';
import { firstAfterOrdinal, getMediaDocument } from './fragment-documents.js';
import type { FragmentRecord, FragmentStore } from './fragment-store.js';
import { optionalEnum, optionalObject, optionalString, optionalTimestampMs, parseBody, streamRef } from './input.js';
import type { VideoStreamInfo } from './model.js';
import { KVS_SIGNING_NAME } from './rest-json.js';
import type { VideoCatalog } from './video-catalog.js';

const SELECTOR_TYPES = ['FRAGMENT_NUMBER', 'SERVER_TIMESTAMP', 'PRODUCER_TIMESTAMP', 'NOW', 'EARLIEST', 'CONTINUATION_TOKEN'] as const;
const EMPTY = new Uint8Array(0);

export interface GetMediaOptions {
  readonly catalog: VideoCatalog;
  readonly clock: Clock;
  readonly sleep: Sleep;
  /** How often a live wait checks that the reader is still there. */
  readonly heartbeatMs: number;
}

/** Where reading starts: after `afterOrdinal`, skipping fragments until `startsHere` accepts one. */
interface StartPosition {
  readonly afterOrdinal: number;
  readonly startsHere?: (r: FragmentRecord) => boolean;
}

export function getMediaRoute(o: GetMediaOptions): PathRoute {
  return {
    method: 'POST',
    path: '/getMedia',
    signingName: KVS_SIGNING_NAME,
    handle: (request) => {
      const input = parseBody(request.body);
      const info = o.catalog.find(streamRef(input));
      const selector = optionalObject(input, 'StartSelector');
      if (selector === undefined) throw invalidArgument('StartSelector is required.');
      const store = o.catalog.store(info);
      const start = startPosition(selector, store);
      return { status: 200, headers: { 'Content-Type': 'video/webm' }, stream: liveFragments(o, info, store, start) };
    },
  };
}

function startPosition(selector: Record<string, unknown>, store: FragmentStore): StartPosition {
  const type = optionalEnum(selector, 'StartSelectorType', SELECTOR_TYPES);
  const oldestOrdinal = (store.oldest?.ordinal ?? (store.newest?.ordinal ?? 0) + 1) - 1;
  switch (type) {
    case undefined:
      throw invalidArgument(`StartSelector.StartSelectorType is required: one of ${SELECTOR_TYPES.join(', ')}.`);
    case 'NOW':
      return { afterOrdinal: store.newest?.ordinal ?? 0 };
    case 'EARLIEST':
      return { afterOrdinal: oldestOrdinal };
    case 'FRAGMENT_NUMBER': {
      const number = fragmentNumberField(selector, 'AfterFragmentNumber');
      return { afterOrdinal: oldestOrdinal, startsHere: (r) => compareFragmentNumbers(r.number, number) >= 0 };
    }
    case 'CONTINUATION_TOKEN': {
      const token = fragmentNumberField(selector, 'ContinuationToken');
      return { afterOrdinal: oldestOrdinal, startsHere: (r) => compareFragmentNumbers(r.number, token) > 0 };
    }
    case 'SERVER_TIMESTAMP':
    case 'PRODUCER_TIMESTAMP': {
      const at = optionalTimestampMs(selector, 'StartTimestamp');
      if (at === undefined) throw invalidArgument(`StartSelector.StartTimestamp is required with ${type}.`);
      const stamp = type === 'SERVER_TIMESTAMP' ? (r: FragmentRecord) => r.serverTimestampMs : (r: FragmentRecord) => r.producerTimestampMs;
      return { afterOrdinal: oldestOrdinal, startsHere: (r) => stamp(r) + r.durationMs > at };
    }
  }
}

function fragmentNumberField(selector: Record<string, unknown>, field: string): string {
  const value = optionalString(selector, field, 128);
  if (!isFragmentNumber(value)) throw invalidArgument(`StartSelector.${field} is required: a fragment number (digits only).`);
  return value;
}

async function* liveFragments(o: GetMediaOptions, info: VideoStreamInfo, store: FragmentStore, start: StartPosition): AsyncGenerator<Uint8Array> {
  let after = start.afterOrdinal;
  let startsHere = start.startsHere;
  for (;;) {
    const current = o.catalog.registry.get(info.name);
    if (store.isClosed || current === undefined || current.arn !== info.arn) return; // deleted, or the target is closing
    store.trim(o.clock.now(), current.dataRetentionInHours);
    const records = store.fragments();
    let i = firstAfterOrdinal(records, after);
    if (i >= records.length) {
      if (await waitForData(o, store)) yield EMPTY;
      continue;
    }
    for (; i < records.length; i++) {
      const record = records[i]!;
      after = record.ordinal;
      if (startsHere !== undefined) {
        if (!startsHere(record)) continue;
        startsHere = undefined;
      }
      const header = store.header(record.headerId);
      let cluster: Buffer;
      try {
        cluster = await store.read(record);
      } catch {
        continue; // trimmed off the disk while we were reading: go on with the next one
      }
      if (header !== undefined) yield getMediaDocument(header, record, cluster, o.clock.now());
    }
  }
}

/** Waits for an append or the heartbeat; true on the heartbeat (time to check the reader is still there). */
async function waitForData(o: GetMediaOptions, store: FragmentStore): Promise<boolean> {
  const stop = new AbortController();
  let heartbeat = false;
  try {
    await Promise.race([
      store.waitForAppend(stop.signal),
      o.sleep(o.heartbeatMs, stop.signal).then(
        () => (heartbeat = true),
        () => {},
      ),
    ]);
  } finally {
    stop.abort();
  }
  return heartbeat;
}

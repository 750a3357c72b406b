/**
 * ListFragments and GetMediaForFragmentList (client-kinesis-video-archived-media). ListFragments returns
 * fragments in fragment-number order (AWS promises no order; one is easier to use), filtered by a
 * producer- or server-timestamp range (a fragment is in when its start is in the range, both ends
 * inclusive) and paged with NextToken. GetMediaForFragmentList streams the named fragments, in the order
 * named, as MKV documents; a number that names no live fragment of the stream is ResourceNotFound.
 */
import type { PathRoute } from '../server/types.js';
import { invalidArgument, resourceNotFound } from './errors.js';
import { isFragmentNumber } from './fragment-number.js';
import { firstAfterOrdinal, fragmentListDocument } from './fragment-documents.js';
import type { FragmentRecord, FragmentStore } from './fragment-store.js';
import { optionalEnum, optionalInteger, optionalObject, optionalString, optionalTimestampMs, parseBody, streamRef, type Input } from './input.js';
import { LIST_FRAGMENTS_DEFAULT_RESULTS, LIST_FRAGMENTS_MAX_RESULTS, MAX_FRAGMENT_LIST } from './limits.js';
import { KVS_SIGNING_NAME, restJsonRoute } from './rest-json.js';
import type { VideoCatalog } from './video-catalog.js';

export type TimestampKind = 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';

export interface TimestampFilter {
  readonly kind: TimestampKind;
  readonly startMs: number;
  readonly endMs: number;
}

export function timestampOf(kind: TimestampKind, r: FragmentRecord): number {
  return kind === 'PRODUCER_TIMESTAMP' ? r.producerTimestampMs : r.serverTimestampMs;
}

export function fragmentShape(r: FragmentRecord): Record<string, unknown> {
  return {
    FragmentNumber: r.number,
    FragmentSizeInBytes: r.sizeBytes,
    ProducerTimestamp: r.producerTimestampMs / 1000,
    ServerTimestamp: r.serverTimestampMs / 1000,
    FragmentLengthInMilliseconds: r.durationMs,
  };
}

export function archivedMediaRoutes(catalog: VideoCatalog): PathRoute[] {
  return [
    restJsonRoute('/listFragments', (input) => {
      const info = catalog.find(streamRef(input));
      const max = optionalInteger(input, 'MaxResults', 1, LIST_FRAGMENTS_MAX_RESULTS) ?? LIST_FRAGMENTS_DEFAULT_RESULTS;
      const token = optionalString(input, 'NextToken', 4096);
      const filter = fragmentSelector(input);
      const records = catalog.store(info).fragments();
      const afterOrdinal = token === undefined ? 0 : decodeToken(token);
      const page: FragmentRecord[] = [];
      let more = false;
      for (let i = firstAfterOrdinal(records, afterOrdinal); i < records.length; i++) {
        const r = records[i]!;
        if (filter !== undefined) {
          const t = timestampOf(filter.kind, r);
          if (t < filter.startMs || t > filter.endMs) continue;
        }
        if (page.length === max) {
          more = true;
          break;
        }
        page.push(r);
      }
      return {
        Fragments: page.map(fragmentShape),
        ...(more ? { NextToken: Buffer.from(`kedge-fragments:${page[page.length - 1]!.ordinal}`).toString('base64url') } : {}),
      };
    }),
    {
      method: 'POST',
      path: '/getMediaForFragmentList',
      signingName: KVS_SIGNING_NAME,
      handle: (request) => {
        const input = parseBody(request.body);
        const info = catalog.find(streamRef(input));
        const numbers = input['Fragments'];
        if (!Array.isArray(numbers) || numbers.length < 1 || numbers.length > MAX_FRAGMENT_LIST || !numbers.every(isFragmentNumber)) {
          throw invalidArgument(`Fragments must list 1 to ${MAX_FRAGMENT_LIST} fragment numbers (digits only).`);
        }
        const store = catalog.store(info);
        const records = (numbers as string[]).map((n) => {
          const r = store.get(n);
          if (r === undefined) throw resourceNotFound(`Fragment ${n} is not in stream ${info.name} (never stored, or past its retention).`);
          return r;
        });
        return { status: 200, headers: { 'Content-Type': 'video/webm' }, stream: documents(store, records) };
      },
    },
  ];
}

async function* documents(store: FragmentStore, records: readonly FragmentRecord[]): AsyncGenerator<Uint8Array> {
  for (const r of records) {
    const header = store.header(r.headerId);
    if (header === undefined) continue;
    yield fragmentListDocument(header, r, await store.read(r));
  }
}

/** ListFragments' optional FragmentSelector: both ends of the range are required when it is given. */
function fragmentSelector(input: Input): TimestampFilter | undefined {
  const selector = optionalObject(input, 'FragmentSelector');
  if (selector === undefined) return undefined;
  const kind = optionalEnum(selector, 'FragmentSelectorType', ['PRODUCER_TIMESTAMP', 'SERVER_TIMESTAMP'] as const);
  if (kind === undefined) throw invalidArgument('FragmentSelector.FragmentSelectorType is required: PRODUCER_TIMESTAMP or SERVER_TIMESTAMP.');
  const range = optionalObject(selector, 'TimestampRange');
  const startMs = range === undefined ? undefined : optionalTimestampMs(range, 'StartTimestamp');
  const endMs = range === undefined ? undefined : optionalTimestampMs(range, 'EndTimestamp');
  if (startMs === undefined || endMs === undefined) throw invalidArgument('FragmentSelector.TimestampRange needs StartTimestamp and EndTimestamp.');
  if (startMs > endMs) throw invalidArgument('TimestampRange.StartTimestamp must not be after EndTimestamp.');
  return { kind, startMs, endMs };
}

function decodeToken(token: string): number {
  const m = /^kedge-fragments:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw invalidArgument('NextToken is not one this service issued; pass the NextToken of the previous ListFragments answer.');
  return Number(m[1]);
}

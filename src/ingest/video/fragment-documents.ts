/**
 * Fragments as the media APIs serve them (kvs.md §2.3, and the parser library's recorded GetMedia output
 * in test/fixtures/kvs): each one a complete MKV document — the session's EBML header, a Segment of
 * unknown size, its Info and Tracks, the AWS_KINESISVIDEO_* tags, the Cluster (with its size), and for
 * GetMedia a second Tags element after the cluster.
 */
import { encodeTags, type MkvTag } from '../../media/mkv/index.js';
import type { FragmentRecord } from './fragment-store.js';
import { SEGMENT_OF_UNKNOWN_SIZE, type StoredHeader } from './stream-header.js';

/** Epoch seconds with three decimals, as the service writes its timestamp tags (`1519423069.070`). */
export function tagTimestamp(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export function fragmentDocument(header: StoredHeader, cluster: Buffer, before: readonly MkvTag[], after: readonly MkvTag[] = []): Buffer {
  return Buffer.concat([header.ebml, SEGMENT_OF_UNKNOWN_SIZE, header.info, header.tracks, encodeTags(before, 'grouped'), cluster, encodeTags(after, 'grouped')]);
}

/** GetMedia: number and timestamps before the cluster; lag and continuation token after it. */
export function getMediaDocument(header: StoredHeader, record: FragmentRecord, cluster: Buffer, nowMs: number): Buffer {
  return fragmentDocument(
    header,
    cluster,
    [
      { name: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER', value: record.number },
      { name: 'AWS_KINESISVIDEO_SERVER_TIMESTAMP', value: tagTimestamp(record.serverTimestampMs) },
      { name: 'AWS_KINESISVIDEO_PRODUCER_TIMESTAMP', value: tagTimestamp(record.producerTimestampMs) },
    ],
    [
      { name: 'AWS_KINESISVIDEO_MILLIS_BEHIND_NOW', value: String(Math.max(0, Math.round(nowMs - record.serverTimestampMs))) },
      { name: 'AWS_KINESISVIDEO_CONTINUATION_TOKEN', value: record.number },
    ],
  );
}

/** GetMediaForFragmentList: the tag names its API reference gives (…_SIDE_TIMESTAMP). */
export function fragmentListDocument(header: StoredHeader, record: FragmentRecord, cluster: Buffer): Buffer {
  return fragmentDocument(header, cluster, [
    { name: 'AWS_KINESISVIDEO_FRAGMENT_NUMBER', value: record.number },
    { name: 'AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP', value: tagTimestamp(record.serverTimestampMs) },
    { name: 'AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP', value: tagTimestamp(record.producerTimestampMs) },
  ]);
}

/** Index of the first record with ordinal > `ordinal` in an ordinal-sorted list (binary search). */
export function firstAfterOrdinal(records: readonly FragmentRecord[], ordinal: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (records[mid]!.ordinal <= ordinal) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

import { describe, expect, it } from 'vitest';
import { MkvReader, type MkvEvent } from '../../../../src/media/mkv/index.js';
import { END_OF_FRAGMENT_TAG_NAME, endOfFragmentTags, startsWithUnknownSizeCluster } from '../../../../src/sinks/kinesis-video/end-of-fragment.js';
import { fragment, streamHeader } from '../../ingest/video/helpers/mkv-parts.js';

describe('end-of-fragment marker', () => {
  it("is a Tags element with the reserved AWS_KINESISVIDEO_END_OF_FRAGMENT tag and an empty value, read back by kedge's MKV reader", () => {
    const events: MkvEvent[] = [];
    const reader = new MkvReader();
    reader.push(Buffer.concat([streamHeader(), fragment(1_000), endOfFragmentTags()]), events);
    reader.end(events);
    const tags = events.filter((e) => e.type === 'tags');
    expect(tags).toHaveLength(1);
    expect(tags[0]!.type === 'tags' && tags[0]!.tags.map((t) => [t.name, t.value])).toEqual([[END_OF_FRAGMENT_TAG_NAME, '']]);
    // It ends the unknown-size cluster before it: the cluster is complete when the tags begin.
    const order = events.filter((e) => e.type === 'clusterEnd' || e.type === 'tags').map((e) => e.type);
    expect(order).toEqual(['clusterEnd', 'tags']);
  });

  it('returns a fresh buffer each time, so a socket holding one cannot see it change', () => {
    const a = endOfFragmentTags();
    a.fill(0);
    expect(endOfFragmentTags().equals(a)).toBe(false);
  });
});

describe('startsWithUnknownSizeCluster', () => {
  it('tells unknown-size clusters (1- or 8-byte all-ones size) from known-size ones and from other bytes', () => {
    expect(startsWithUnknownSizeCluster(Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0xff, 0xe7]))).toBe(true);
    expect(startsWithUnknownSizeCluster(Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(true);
    expect(startsWithUnknownSizeCluster(Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00]))).toBe(false);
    expect(startsWithUnknownSizeCluster(Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x90]))).toBe(false);
    expect(startsWithUnknownSizeCluster(Buffer.from([0x12, 0x54, 0xc3, 0x67, 0xff]))).toBe(false);
    expect(startsWithUnknownSizeCluster(Buffer.from(fragment(1_000)))).toBe(true);
  });
});

import { MkvError } from './errors.js';
import { encodeNodes, masterNode, stringNode, type EbmlNode } from './ebml-tree.js';
import { Id } from './ids.js';

export interface MkvTag {
  readonly name: string;
  readonly value: string;
}

/** KVS fragment-metadata limits (kvs.md §2.3, service quotas). */
export const MAX_FRAGMENT_TAGS = 10;
export const MAX_TAG_NAME_BYTES = 128;
export const MAX_TAG_VALUE_BYTES = 256;

/**
 * Tags elements for fragment metadata. `per-tag` (default) writes one Tags > Tag > SimpleTag per entry,
 * as the KVS producer does (see the producer-sdk fixtures); `grouped` writes one Tags > Tag holding every
 * SimpleTag, as GetMedia output carries the AWS_KINESISVIDEO_* tags. Both sit between clusters: after an
 * unknown-size Cluster they also end it.
 */
export function encodeTags(tags: readonly MkvTag[], layout: 'per-tag' | 'grouped' = 'per-tag'): Uint8Array {
  const simpleTag = (t: MkvTag): EbmlNode => masterNode(Id.SimpleTag, [stringNode(Id.TagName, t.name), stringNode(Id.TagString, t.value)]);
  if (layout === 'grouped') {
    return tags.length === 0 ? new Uint8Array(0) : encodeNodes([masterNode(Id.Tags, [masterNode(Id.Tag, tags.map(simpleTag))])]);
  }
  return encodeNodes(tags.map((t) => masterNode(Id.Tags, [masterNode(Id.Tag, [simpleTag(t)])])));
}

const utf8 = new TextEncoder();

/**
 * Throws MKV_INVALID_METADATA for metadata KVS would refuse: more than 10 per fragment, an empty name or
 * one over 128 bytes, a value over 256 bytes, or a name starting with `AWS` (reserved for the service
 * and the SDK's own tags such as AWS_KINESISVIDEO_END_OF_FRAGMENT).
 */
export function checkFragmentMetadata(tags: readonly MkvTag[]): void {
  const bad = (why: string): never => {
    throw new MkvError('MKV_INVALID_METADATA', why);
  };
  if (tags.length > MAX_FRAGMENT_TAGS) bad(`${tags.length} metadata tags in one fragment; KVS allows ${MAX_FRAGMENT_TAGS}`);
  for (const t of tags) {
    const nameBytes = utf8.encode(t.name).length;
    if (nameBytes === 0 || nameBytes > MAX_TAG_NAME_BYTES) bad(`metadata name "${t.name}" is ${nameBytes} bytes; use 1 to ${MAX_TAG_NAME_BYTES}`);
    if (t.name.startsWith('AWS')) bad(`metadata name "${t.name}" starts with AWS, which KVS reserves; rename it`);
    const valueBytes = utf8.encode(t.value).length;
    if (valueBytes > MAX_TAG_VALUE_BYTES) bad(`metadata "${t.name}" has a ${valueBytes}-byte value; KVS allows ${MAX_TAG_VALUE_BYTES}`);
  }
}

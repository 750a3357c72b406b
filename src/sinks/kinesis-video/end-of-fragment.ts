/**
 * The end-of-fragment marker (EoFR). kedge's fragments are Clusters of unknown size, as the KVS producers
 * write them (kvs.md §2.3), and the service only knows such a cluster has ended when the next Cluster or
 * Tags element begins, or the body ends. Without a marker, the last fragment sent before a pause would wait
 * for the next one (or for the 30-second idle cut) before it is RECEIVED and PERSISTED. PIC's intermittent
 * producer and the embedded C producer close it with a Tags element holding the reserved SimpleTag
 * AWS_KINESISVIDEO_END_OF_FRAGMENT with an empty value; the session writes the same after an unknown-size
 * cluster whenever it has sent every fragment it has. Layout as PIC writes Tags (8-byte sizes): Tags > Tag > SimpleTag > TagName, TagString.
 */
export const END_OF_FRAGMENT_TAG_NAME = 'AWS_KINESISVIDEO_END_OF_FRAGMENT';

function element(id: readonly number[], content: Buffer): Buffer {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(content.length));
  size[0] = 0x01; // 8-byte vint marker
  return Buffer.concat([Buffer.from(id), size, content]);
}

/** A fresh copy of the EoFR bytes (callers may hand it to a socket). */
export function endOfFragmentTags(): Buffer {
  const simpleTag = element([0x67, 0xc8], Buffer.concat([element([0x45, 0xa3], Buffer.from(END_OF_FRAGMENT_TAG_NAME, 'utf8')), element([0x44, 0x87], Buffer.alloc(0))]));
  return element([0x12, 0x54, 0xc3, 0x67], element([0x73, 0x73], simpleTag));
}

/**
 * Whether a fragment starts with a Cluster of unknown size (size vint with all value bits set), the only
 * kind whose end the service cannot see by itself. A known-size cluster needs no marker.
 */
export function startsWithUnknownSizeCluster(bytes: Uint8Array): boolean {
  if (bytes.length < 5 || bytes[0] !== 0x1f || bytes[1] !== 0x43 || bytes[2] !== 0xb6 || bytes[3] !== 0x75) return false;
  const first = bytes[4]!;
  let length = 1;
  while (length <= 8 && (first & (0x80 >> (length - 1))) === 0) length += 1;
  if (length > 8 || bytes.length < 4 + length) return false;
  if ((first & (0xff >> length)) !== 0xff >> length) return false;
  for (let i = 1; i < length; i += 1) if (bytes[4 + i] !== 0xff) return false;
  return true;
}

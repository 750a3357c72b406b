import { sizeVintLength, uintLength, writeId, writeSizeVint, writeUint } from './vint.js';
import { idLength } from './ids.js';

/**
 * A tiny element tree for the parts written once per session (EBML header, Info, Tracks, Tags):
 * sizes are computed first, then everything is written into one buffer.
 */
export type EbmlNode =
  | { readonly id: number; readonly children: readonly EbmlNode[] }
  | { readonly id: number; readonly bytes: Uint8Array };

const utf8 = new TextEncoder();

export const uintNode = (id: number, value: number | bigint): EbmlNode => {
  const bytes = new Uint8Array(uintLength(value));
  writeUint(bytes, 0, value, bytes.length);
  return { id, bytes };
};
export const stringNode = (id: number, value: string): EbmlNode => ({ id, bytes: utf8.encode(value) });
export const binaryNode = (id: number, bytes: Uint8Array): EbmlNode => ({ id, bytes });
export const masterNode = (id: number, children: readonly EbmlNode[]): EbmlNode => ({ id, children });

function payloadLength(node: EbmlNode): number {
  if ('bytes' in node) return node.bytes.length;
  let n = 0;
  for (const c of node.children) n += encodedLength(c);
  return n;
}

export function encodedLength(node: EbmlNode): number {
  const payload = payloadLength(node);
  return idLength(node.id) + sizeVintLength(payload) + payload;
}

export function writeNode(target: Uint8Array, offset: number, node: EbmlNode): number {
  let p = writeId(target, offset, node.id);
  p = writeSizeVint(target, p, payloadLength(node));
  if ('bytes' in node) {
    target.set(node.bytes, p);
    return p + node.bytes.length;
  }
  for (const c of node.children) p = writeNode(target, p, c);
  return p;
}

export function encodeNodes(nodes: readonly EbmlNode[]): Uint8Array {
  let total = 0;
  for (const n of nodes) total += encodedLength(n);
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (const n of nodes) p = writeNode(out, p, n);
  return out;
}

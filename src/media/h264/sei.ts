import { unescapeRbsp } from './rbsp.js';

/** SEI payloadType of a recovery point (H.264 D.1.8): decoding can start at this picture. */
export const SEI_RECOVERY_POINT = 6;

/**
 * The payloadType of every SEI message in an SEI NAL unit (clause 7.3.2.3). Stops quietly at the first
 * message that runs past the end, since an SEI that cannot be read must not stop the video.
 */
export function seiPayloadTypes(nal: Uint8Array): number[] {
  const rbsp = unescapeRbsp(nal);
  const types: number[] = [];
  let i = 1;
  // The last byte holds rbsp_trailing_bits (0x80), so a message needs at least two bytes before it.
  while (i < rbsp.length - 1) {
    let type = 0;
    while (rbsp[i] === 0xff) {
      type += 255;
      i++;
    }
    const lastType = rbsp[i++];
    if (lastType === undefined) break;
    type += lastType;
    let size = 0;
    while (rbsp[i] === 0xff) {
      size += 255;
      i++;
    }
    const lastSize = rbsp[i++];
    if (lastSize === undefined) break;
    size += lastSize;
    if (i + size > rbsp.length) break;
    types.push(type);
    i += size;
  }
  return types;
}

import { AnnexBAccessUnitParser, buildAvcc, lengthPrefixedPayload } from '../../../../src/media/h264/index.js';
import type { AccessUnit, LengthPrefixOptions, TimestampSource } from '../../../../src/media/h264/index.js';
import { encodeCluster, encodeStreamHeader, encodeTags } from '../../../../src/media/mkv/index.js';
import type { MkvTag } from '../../../../src/media/mkv/index.js';

export interface MuxResult {
  readonly mkv: Buffer;
  readonly accessUnits: AccessUnit[];
  readonly clusters: number;
}

/**
 * What the GOP fragmenter will do, reduced to a test helper: one cluster per keyframe-started group of
 * access units, the stream header first, optional tags after each cluster.
 */
export function muxAnnexB(
  chunks: Iterable<Uint8Array>,
  timestamps: TimestampSource,
  options: { tags?: MkvTag[]; nal?: LengthPrefixOptions; segmentUid?: Uint8Array } = {},
): MuxResult {
  const parser = new AnnexBAccessUnitParser({ timestamps });
  const accessUnits: AccessUnit[] = [];
  for (const c of chunks) parser.push(c, accessUnits);
  parser.end(accessUnits);
  return muxAccessUnits(accessUnits, parser, options);
}

export function muxAccessUnits(
  accessUnits: AccessUnit[],
  parser: Pick<AnnexBAccessUnitParser, 'parameterSets'>,
  options: { tags?: MkvTag[]; nal?: LengthPrefixOptions; segmentUid?: Uint8Array } = {},
): MuxResult {
  const ps = parser.parameterSets();
  if (!ps) throw new Error('no SPS in the stream');
  const parts: Uint8Array[] = [
    encodeStreamHeader({
      track: { codecPrivate: buildAvcc([ps.sps.data], ps.pps.map((n) => n.data)), width: ps.spsInfo.width, height: ps.spsInfo.height },
      segmentUid: options.segmentUid ?? new Uint8Array(16).fill(7),
    }),
  ];
  let clusters = 0;
  let group: AccessUnit[] = [];
  const flush = (): void => {
    if (group.length === 0) return;
    const frames = group.map((au) => ({ timecode: au.timestampMs, keyframe: au.keyframe, payload: lengthPrefixedPayload(au.nalUnits, options.nal) }));
    parts.push(encodeCluster(group[0]!.timestampMs, frames));
    if (options.tags) parts.push(encodeTags(options.tags));
    clusters++;
    group = [];
  };
  for (const au of accessUnits) {
    if (au.keyframe) flush();
    if (group.length > 0 || au.keyframe) group.push(au); // a stream cut mid-GOP starts at its first keyframe
  }
  flush();
  return { mkv: Buffer.concat(parts), accessUnits, clusters };
}

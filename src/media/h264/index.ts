// H.264 building blocks: Annex B splitting, access units, SPS, avcC, length-prefixed NAL units.
export { AnnexBSplitter } from './annexb-splitter.js';
export { AccessUnitAssembler, AnnexBAccessUnitParser } from './access-units.js';
export type { AccessUnit, AccessUnitOptions, CopyInputOptions, ParameterSets } from './access-units.js';
export { buildAvcc, parseAvcc } from './avcc.js';
export type { AvcDecoderConfig } from './avcc.js';
export { H264Error } from './errors.js';
export { lengthPrefixedBytes, lengthPrefixedPayload, toLengthPrefixed, writeLengthPrefixed } from './length-prefixed.js';
export type { BlockPayload, LengthPrefixOptions } from './length-prefixed.js';
export { NalType, isBSlice, isVclSlice } from './nal.js';
export type { NalUnit } from './nal.js';
export { BitReader, unescapeRbsp } from './rbsp.js';
export { SEI_RECOVERY_POINT, seiPayloadTypes } from './sei.js';
export { parsePpsIds, parseSps } from './sps.js';
export type { SpsInfo } from './sps.js';
export { AccessUnitClock } from './timestamps.js';
export type { TimestampSource } from './timestamps.js';

// Matroska for KVS: the stream header and cluster writer, fragment tags, and an incremental reader.
export { encodeCluster, encodeClusterStart, encodeSimpleBlock } from './cluster.js';
export type { BlockPayload, MkvFrame } from './cluster.js';
export type { EbmlHeaderInfo, MkvTagRead, MkvTrack, SegmentInfo } from './element-bodies.js';
export { MkvError } from './errors.js';
export { Id as MkvId } from './ids.js';
export { MkvReader } from './reader.js';
export type { MkvReaderOptions } from './reader.js';
export type { MkvBlockEvent, MkvEvent, MkvTruncation } from './reader-events.js';
export { CODEC_ID_H264, DEFAULT_TIMECODE_SCALE_NS, encodeStreamHeader, VIDEO_TRACK_NUMBER } from './stream-header.js';
export type { StreamHeaderOptions, VideoTrackOptions } from './stream-header.js';
export { checkFragmentMetadata, encodeTags, MAX_FRAGMENT_TAGS, MAX_TAG_NAME_BYTES, MAX_TAG_VALUE_BYTES } from './tags.js';
export type { MkvTag } from './tags.js';

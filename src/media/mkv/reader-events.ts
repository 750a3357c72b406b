import type { EbmlHeaderInfo, MkvTagRead, MkvTrack, SegmentInfo } from './element-bodies.js';

/** What the reader reports, in stream order. `offset` is the element's first byte in the input. */
export type MkvEvent =
  | ({ readonly type: 'ebmlHeader'; readonly offset: number } & EbmlHeaderInfo)
  /** `size` is undefined for an unknown-size Segment (what KVS and its producer write). */
  | { readonly type: 'segmentStart'; readonly offset: number; readonly size: number | undefined }
  | ({ readonly type: 'info'; readonly offset: number } & SegmentInfo)
  | { readonly type: 'tracks'; readonly offset: number; readonly tracks: readonly MkvTrack[] }
  /** `timecode`: the Cluster's absolute Timecode in TimecodeScale units. */
  | { readonly type: 'clusterStart'; readonly offset: number; readonly timecode: number }
  | MkvBlockEvent
  | { readonly type: 'tags'; readonly offset: number; readonly tags: readonly MkvTagRead[] }
  /** `offset`: where the cluster ended (the next element's first byte, or the end of input). */
  | { readonly type: 'clusterEnd'; readonly offset: number; readonly timecode: number; readonly blockCount: number }
  | { readonly type: 'segmentEnd'; readonly offset: number }
  /** Only from `end()`: the input stopped inside an element. */
  | MkvTruncation;

export interface MkvBlockEvent {
  readonly type: 'simpleBlock';
  readonly offset: number;
  readonly trackNumber: number;
  /** Absolute: cluster timecode + relativeTimecode. */
  readonly timecode: number;
  readonly relativeTimecode: number;
  readonly keyframe: boolean;
  readonly invisible: boolean;
  readonly discardable: boolean;
  /** 0 none, 1 Xiph, 2 fixed, 3 EBML. KVS writes none; laced payloads are passed on as they are. */
  readonly lacing: number;
  /** The frame bytes (for H.264: length-prefixed NAL units). May be a view into a pushed chunk. */
  readonly payload: Uint8Array;
  /** True when the frame came from a BlockGroup/Block rather than a SimpleBlock. */
  readonly fromBlockGroup: boolean;
}

export interface MkvTruncation {
  readonly type: 'truncated';
  /** First byte of the element the input stopped in. */
  readonly offset: number;
  /** The element's ID, when its header was complete. */
  readonly elementId: number | undefined;
  /** Bytes the element needed from `offset` on, when known. */
  readonly expectedBytes: number | undefined;
  /** Bytes that were there from `offset` on. */
  readonly availableBytes: number;
}

import { randomBytes } from 'node:crypto';
import { MkvError } from './errors.js';
import { binaryNode, encodeNodes, masterNode, stringNode, uintNode, type EbmlNode } from './ebml-tree.js';
import { Id } from './ids.js';
import { UNKNOWN_SIZE_BYTE, writeId } from './vint.js';

/** KVS plays track 1 as the video track (kvs.md §2.1); kedge writes one video track. */
export const VIDEO_TRACK_NUMBER = 1;
export const CODEC_ID_H264 = 'V_MPEG4/ISO/AVC';
/** 1 ms, the KVS default (kvs.md §2.2): cluster and block timecodes are then milliseconds. */
export const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;

export interface VideoTrackOptions {
  /** The avcC (AVCDecoderConfigurationRecord) for H.264. */
  readonly codecPrivate: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Default `V_MPEG4/ISO/AVC`. */
  readonly codecId?: string;
  /** Default `kvs_video_track`, the producer SDK's default track name. */
  readonly name?: string;
  /** Default 1, the producer SDK's default video track id. */
  readonly trackUid?: number | bigint;
}

export interface StreamHeaderOptions {
  readonly track: VideoTrackOptions;
  /** 16 bytes; default random, as the producer SDK does when none is configured. */
  readonly segmentUid?: Uint8Array;
  /** Default 1,000,000 (1 ms). */
  readonly timecodeScaleNs?: number;
  /** Omitted when not given. */
  readonly title?: string;
  /** Default `kedge`. */
  readonly muxingApp?: string;
  /** Default `kedge`. */
  readonly writingApp?: string;
}

/**
 * The "stream header" every PutMedia session starts with, and resends after a reconnect before the
 * clusters that were not yet persisted: EBML header, Segment of unknown size, Info, Tracks (kvs.md §2.3).
 */
export function encodeStreamHeader(options: StreamHeaderOptions): Uint8Array {
  const { track } = options;
  const segmentUid = options.segmentUid ?? randomBytes(16);
  const timecodeScaleNs = options.timecodeScaleNs ?? DEFAULT_TIMECODE_SCALE_NS;
  checkArgs(options, segmentUid, timecodeScaleNs);

  const ebml = masterNode(Id.Ebml, [
    uintNode(Id.EbmlVersion, 1),
    uintNode(Id.EbmlReadVersion, 1),
    uintNode(Id.EbmlMaxIdLength, 4),
    uintNode(Id.EbmlMaxSizeLength, 8),
    stringNode(Id.DocType, 'matroska'),
    uintNode(Id.DocTypeVersion, 2),
    uintNode(Id.DocTypeReadVersion, 2),
  ]);
  const infoChildren: EbmlNode[] = [binaryNode(Id.SegmentUid, segmentUid), uintNode(Id.TimecodeScale, timecodeScaleNs)];
  if (options.title !== undefined) infoChildren.push(stringNode(Id.Title, options.title));
  infoChildren.push(stringNode(Id.MuxingApp, options.muxingApp ?? 'kedge'), stringNode(Id.WritingApp, options.writingApp ?? 'kedge'));
  const tracks = masterNode(Id.Tracks, [
    masterNode(Id.TrackEntry, [
      uintNode(Id.TrackNumber, VIDEO_TRACK_NUMBER),
      uintNode(Id.TrackUid, track.trackUid ?? 1),
      uintNode(Id.TrackType, 1),
      stringNode(Id.CodecId, track.codecId ?? CODEC_ID_H264),
      stringNode(Id.Name, track.name ?? 'kvs_video_track'),
      binaryNode(Id.CodecPrivate, track.codecPrivate),
      masterNode(Id.Video, [uintNode(Id.PixelWidth, track.width), uintNode(Id.PixelHeight, track.height)]),
    ]),
  ]);

  const head = encodeNodes([ebml]);
  const body = encodeNodes([masterNode(Id.Info, infoChildren), tracks]);
  const out = Buffer.allocUnsafe(head.length + 5 + body.length);
  out.set(head, 0);
  let p = writeId(out, head.length, Id.Segment);
  out[p++] = UNKNOWN_SIZE_BYTE; // the Segment stays open for the whole PutMedia session
  out.set(body, p);
  return out;
}

function checkArgs(options: StreamHeaderOptions, segmentUid: Uint8Array, timecodeScaleNs: number): void {
  const bad = (why: string): never => {
    throw new MkvError('MKV_INVALID_ARGUMENT', why);
  };
  const { track } = options;
  if (segmentUid.length !== 16) bad(`segmentUid must be 16 bytes, got ${segmentUid.length}`);
  // kvs.md §2.2: the SDK accepts 100 ns to 1 s.
  if (!Number.isInteger(timecodeScaleNs) || timecodeScaleNs < 100 || timecodeScaleNs > 1_000_000_000) {
    bad(`timecodeScaleNs ${timecodeScaleNs} must be an integer from 100 to 1,000,000,000`);
  }
  for (const [name, v] of [['width', track.width], ['height', track.height]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v > 0xffff) bad(`track ${name} ${v} must be an integer from 1 to 65535`);
  }
  if (track.codecPrivate.length === 0) bad('track codecPrivate is empty; pass the avcC built from the SPS and PPS');
  if (track.codecPrivate.length > 1024 * 1024) bad(`track codecPrivate is ${track.codecPrivate.length} bytes; KVS allows at most 1 MiB`);
  const codecId = track.codecId ?? CODEC_ID_H264;
  if (codecId.length > 32) bad(`codecId "${codecId}" is longer than the 32 characters KVS allows`);
  if ((track.name ?? '').length > 32) bad(`track name "${track.name}" is longer than the 32 characters KVS allows`);
}

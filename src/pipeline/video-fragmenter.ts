/**
 * The GOP fragmenter: access units in, KVS fragments out. One fragment is one keyframe group: it opens at
 * an IDR picture and closes when the next one arrives (or when the camera goes quiet, or stops), and is
 * written as one MKV Cluster whose timecode is the capture time of its first frame in milliseconds: the
 * absolute producer timestamp KVS stores (kvs.md §2.2).
 *
 * The stream header (EBML + Segment + Info + Tracks) carries the avcC built from the keyframe's SPS/PPS;
 * when the parameter sets change (a restarted encoder with other settings, a resolution change) a new
 * header is emitted before the fragment that needs it.
 *
 * Pure: no timers, no I/O. The producer's one coarse timer calls flush(out, 'idle') when the camera goes quiet.
 */
import { buildAvcc, NalType, parseSps, type AccessUnit, type NalUnit, type ParameterSets } from '../media/h264/index.js';
import { ClusterBuilder, encodeStreamHeader, type FragmentBuffers } from './video-mkv.js';

export interface VideoHeader {
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly codecPrivate: Uint8Array;
}

export interface VideoFragment {
  /** One MKV Cluster of known size; a view into a buffer from `FragmenterOptions.buffers`, to release when stored. */
  readonly bytes: Uint8Array;
  /** Capture time of the first frame (ms since the epoch): the cluster timecode and the ACKs' FragmentTimecode. */
  readonly timecodeMs: number;
  readonly durationMs: number;
  readonly frames: number;
  /** Why it was closed. */
  readonly closedBy: 'keyframe' | 'idle' | 'max-duration' | 'flush';
}

export type FragmenterOutput = { readonly kind: 'header'; readonly header: VideoHeader } | { readonly kind: 'fragment'; readonly fragment: VideoFragment };

export interface FragmenterOptions {
  /**
   * Longest fragment (default 10 s). KVS refuses fragments over 20 s (4002) and a block timecode cannot be
   * more than 32.767 s from its cluster's; a source with a longer GOP (an RTSP camera set to 60 s) gets
   * its fragment closed here, and the frames up to the next keyframe are dropped and counted.
   */
  readonly maxFragmentMs?: number;
  /** Stream header fields that must not change between headers (default: random, as the producer SDK). */
  readonly segmentUid?: Uint8Array;
  readonly trackName?: string;
  /** Where fragment buffers come from (default: fresh ones); see FragmentBufferPool. */
  readonly buffers?: FragmentBuffers;
}

export interface FragmenterStats {
  readonly framesIn: number;
  readonly framesInFragments: number;
  /** Frames before the first keyframe (or after a fragment was cut), which no fragment can start with. */
  readonly droppedWaitingForKeyframe: number;
  /** Keyframes without SPS/PPS anywhere before them: no avcC could be built. */
  readonly droppedNoParameterSets: number;
  readonly fragments: number;
  readonly headers: number;
  /** Frames whose timestamp was moved forward to stay after the previous frame (clock stepped back). */
  readonly timestampsAdjusted: number;
}

const DEFAULT_MAX_FRAGMENT_MS = 10_000;
/** Frame duration assumed for a one-frame fragment when nothing better is known (30 fps). */
const FALLBACK_FRAME_MS = 33;

export class GopFragmenter {
  private readonly maxFragmentMs: number;
  private readonly segmentUid: Uint8Array | undefined;
  private readonly trackName: string | undefined;
  /** The open fragment: each frame is written into it as it arrives (see video-mkv.ts for why). */
  private readonly cluster: ClusterBuilder;
  private openCount = 0;
  private firstTimecode = 0;
  private lastOpenTimecode = 0;
  private waitingForKeyframe = true;
  private lastTimecode = Number.NEGATIVE_INFINITY;
  private currentParameterSets: Uint8Array | undefined;
  private header: VideoHeader | undefined;
  private counters = { framesIn: 0, framesInFragments: 0, droppedWaitingForKeyframe: 0, droppedNoParameterSets: 0, fragments: 0, headers: 0, timestampsAdjusted: 0 };

  constructor(options: FragmenterOptions = {}) {
    this.maxFragmentMs = Math.min(options.maxFragmentMs ?? DEFAULT_MAX_FRAGMENT_MS, 20_000);
    this.segmentUid = options.segmentUid;
    this.trackName = options.trackName;
    this.cluster = new ClusterBuilder(options.buffers);
  }

  /**
   * Adds one access unit. `fallback` gives the latest parameter sets seen, for a keyframe that carries none
   * of its own (called only then). Outputs are appended to `out`.
   */
  push(au: AccessUnit, fallback: ParameterSets | undefined | (() => ParameterSets | undefined), out: FragmenterOutput[]): void {
    this.counters.framesIn += 1;
    let timecode = au.timestampMs;
    if (timecode <= this.lastTimecode) {
      // KVS wants every frame after the previous fragment's last one (4004); a wall clock stepped back by
      // NTP, or a restarted parser, must not break that.
      timecode = this.lastTimecode + 1;
      this.counters.timestampsAdjusted += 1;
    }
    if (au.keyframe) {
      this.close('keyframe', timecode, out);
      if (!this.startFragment(au, fallback, out)) return;
      this.cluster.start(timecode);
      this.firstTimecode = timecode;
    } else if (this.waitingForKeyframe) {
      this.counters.droppedWaitingForKeyframe += 1;
      return;
    } else if (timecode - this.firstTimecode >= this.maxFragmentMs) {
      this.close('max-duration', timecode, out);
      this.waitingForKeyframe = true;
      this.counters.droppedWaitingForKeyframe += 1;
      return;
    }
    this.cluster.append(timecode, au.keyframe, au.nalUnits);
    this.openCount += 1;
    this.lastOpenTimecode = timecode;
    this.lastTimecode = timecode;
  }

  /**
   * Closes the open fragment now (the camera stopped, restarts, or went quiet: `idle`); the next fragment
   * starts at a keyframe.
   */
  flush(out: FragmenterOutput[], reason: 'flush' | 'idle' = 'flush'): void {
    this.close(reason, undefined, out);
    this.waitingForKeyframe = true;
  }

  /** Frames waiting in the open fragment. */
  get openFrames(): number {
    return this.openCount;
  }

  get currentHeader(): VideoHeader | undefined {
    return this.header;
  }

  stats(): FragmenterStats {
    return { ...this.counters };
  }

  private startFragment(au: AccessUnit, fallback: ParameterSets | undefined | (() => ParameterSets | undefined), out: FragmenterOutput[]): boolean {
    const sets = parameterSetsOf(au.nalUnits) ?? fromParameterSets(typeof fallback === 'function' ? fallback() : fallback);
    if (sets === undefined) {
      this.counters.droppedNoParameterSets += 1;
      this.waitingForKeyframe = true;
      return false;
    }
    const key = concat([sets.sps, ...sets.pps]);
    if (this.currentParameterSets === undefined || Buffer.compare(key, this.currentParameterSets) !== 0) {
      const info = parseSps(sets.sps);
      const codecPrivate = buildAvcc([sets.sps], sets.pps);
      const bytes = encodeStreamHeader({
        track: { codecPrivate, width: info.width, height: info.height, ...(this.trackName === undefined ? {} : { name: this.trackName }) },
        ...(this.segmentUid === undefined ? {} : { segmentUid: this.segmentUid }),
      });
      this.header = { bytes, width: info.width, height: info.height, codecPrivate };
      this.currentParameterSets = key;
      this.counters.headers += 1;
      out.push({ kind: 'header', header: this.header });
    }
    this.waitingForKeyframe = false;
    return true;
  }

  /** `nextTimecode`: the first frame after this fragment, which makes its duration exact. */
  private close(closedBy: VideoFragment['closedBy'], nextTimecode: number | undefined, out: FragmenterOutput[]): void {
    const frames = this.openCount;
    if (frames === 0) return;
    this.openCount = 0;
    const first = this.firstTimecode;
    const last = this.lastOpenTimecode;
    const durationMs = nextTimecode !== undefined ? nextTimecode - first : last - first + (frames > 1 ? Math.round((last - first) / (frames - 1)) : FALLBACK_FRAME_MS);
    this.counters.fragments += 1;
    this.counters.framesInFragments += frames;
    out.push({ kind: 'fragment', fragment: { bytes: this.cluster.finish(), timecodeMs: first, durationMs, frames, closedBy } });
  }
}

/** SPS and PPS carried in a keyframe's own access unit (`--inline`, `repeat-headers`, `dump_extra`). */
function parameterSetsOf(nalUnits: readonly NalUnit[]): { sps: Uint8Array; pps: Uint8Array[] } | undefined {
  let sps: Uint8Array | undefined;
  const pps: Uint8Array[] = [];
  for (const n of nalUnits) {
    if (n.type === NalType.Sps && sps === undefined) sps = n.data;
    else if (n.type === NalType.Pps) pps.push(n.data);
  }
  return sps !== undefined && pps.length > 0 ? { sps, pps } : undefined;
}

function fromParameterSets(sets: ParameterSets | undefined): { sps: Uint8Array; pps: Uint8Array[] } | undefined {
  return sets === undefined ? undefined : { sps: sets.sps.data, pps: sets.pps.map((p) => p.data) };
}

function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

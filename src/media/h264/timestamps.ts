import type { Clock } from '../../core/clock.js';
import { H264Error } from './errors.js';

/**
 * Where an access unit's timestamp (milliseconds, the MKV TimecodeScale kedge uses) comes from.
 * - `clock`: the caller's clock when the access unit's first NAL unit arrives (live cameras: the
 *   absolute time KVS wants). Kept strictly increasing, because a pipe delivers several frames in one
 *   read and two frames with one timestamp would break KVS's ordering rules.
 * - `frameRate`: `startMs + round(index * 1000 / fps)`; `fps` defaults to the SPS VUI timing.
 */
export type TimestampSource =
  | { readonly kind: 'clock'; readonly clock: Clock }
  | { readonly kind: 'frameRate'; readonly startMs: number; readonly fps?: number };

/** Stamps access units in arrival order; one instance per stream. */
export class AccessUnitClock {
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly source: TimestampSource) {
    if (source.kind === 'frameRate' && source.fps !== undefined && !(source.fps > 0 && source.fps <= 1000)) {
      throw new H264Error('H264_NO_FRAME_RATE', `fps ${source.fps} is not in (0, 1000]; pass the camera's frame rate`);
    }
  }

  /** Called when an access unit starts; `undefined` in frame-rate mode (stamped at the end instead). */
  arrival(): number | undefined {
    return this.source.kind === 'clock' ? this.source.clock.now() : undefined;
  }

  /** The timestamp of access unit `index` that arrived at `arrivalMs`; `spsFrameRate` from its SPS. */
  stamp(index: number, arrivalMs: number | undefined, spsFrameRate: number | undefined): number {
    let ms: number;
    if (this.source.kind === 'clock') {
      ms = Math.max(Math.round(arrivalMs ?? this.source.clock.now()), this.lastMs + 1);
    } else {
      const fps = this.source.fps ?? spsFrameRate;
      if (fps === undefined || !(fps > 0)) {
        throw new H264Error('H264_NO_FRAME_RATE', 'frame-rate timestamps need a frame rate, and the SPS has no VUI timing; pass fps');
      }
      // Computed from the index rather than accumulated, so rounding never drifts.
      ms = Math.max(this.source.startMs + Math.round((index * 1000) / fps), this.lastMs + 1);
    }
    this.lastMs = ms;
    return ms;
  }
}

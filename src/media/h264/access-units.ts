import { AnnexBSplitter } from './annexb-splitter.js';
import { H264Error } from './errors.js';
import { InputWindow, type RetainedViews } from './input-window.js';
import { isBSlice, isVclSlice, makeNalUnit, NalType, startsNewPicture, type NalUnit } from './nal.js';
import { SEI_RECOVERY_POINT, seiPayloadTypes } from './sei.js';
import { parsePpsIds, parseSps, type SpsInfo } from './sps.js';
import { AccessUnitClock, type TimestampSource } from './timestamps.js';

/** One coded picture with the NAL units that go with it (clause 7.4.1.2.3). */
export interface AccessUnit {
  /** 0-based position in the stream. */
  readonly index: number;
  readonly nalUnits: readonly NalUnit[];
  /** An IDR picture (or, with `recoveryPointIsKeyframe`, a picture after a recovery-point SEI). */
  readonly keyframe: boolean;
  /** Milliseconds; see TimestampSource. */
  readonly timestampMs: number;
  /** Sum of the NAL units' data lengths (start codes excluded). */
  readonly byteLength: number;
  /**
   * The picture has B slices. Timestamps are given in decode order, which is presentation order only
   * without B-frames; KVS also wants none (kvs.md §2.2), so encode with `-bf 0`.
   */
  readonly bidirectional: boolean;
}

/** More NAL units than any real picture has (slices are capped by macroblock count in practice). */
const MAX_NAL_UNITS_PER_ACCESS_UNIT = 4096;

export interface AccessUnitOptions {
  readonly timestamps: TimestampSource;
  /**
   * Treat a picture that follows a recovery-point SEI as a keyframe. Off by default: KVS fragments must
   * start with a picture that decodes on its own, which only IDR guarantees.
   */
  readonly recoveryPointIsKeyframe?: boolean;
  /** Largest NAL unit accepted (AnnexBAccessUnitParser only); default 32 MiB. */
  readonly maxNalBytes?: number;
}

/** The latest parameter sets seen, kept so a keyframe without in-band SPS/PPS can still get an avcC. */
export interface ParameterSets {
  readonly sps: NalUnit;
  readonly spsInfo: SpsInfo;
  /** PPS NAL units in pic_parameter_set_id order. */
  readonly pps: readonly NalUnit[];
}

/**
 * Groups NAL units into access units. An access unit ends when a NAL unit arrives that can only begin
 * the next one: an AUD, SPS, PPS, SEI or NAL types 14..18 after the current picture's slices, or a
 * slice with first_mb_in_slice = 0 (or a change between IDR and non-IDR). So an access unit is emitted
 * when the first NAL unit of the next one arrives, or at `end()`.
 */
export class AccessUnitAssembler {
  private current: NalUnit[] = [];
  private currentHasVcl = false;
  private currentIsIdr = false;
  private currentRecovery = false;
  private currentBidirectional = false;
  private arrivalMs: number | undefined;
  private nextIndex = 0;
  private readonly clock: AccessUnitClock;
  private sps: { nal: NalUnit; info: SpsInfo } | undefined;
  private readonly ppsById = new Map<number, NalUnit>();

  constructor(private readonly options: AccessUnitOptions) {
    this.clock = new AccessUnitClock(options.timestamps);
  }

  /** Adds one NAL unit; returns the access unit it completed, if any. */
  push(nal: NalUnit): AccessUnit | undefined {
    let completed: AccessUnit | undefined;
    if (this.currentHasVcl && this.beginsNextAccessUnit(nal)) completed = this.finish();
    this.observe(nal);
    if (this.current.length === 0 && this.arrivalMs === undefined) this.arrivalMs = this.clock.arrival();
    if (this.current.length >= MAX_NAL_UNITS_PER_ACCESS_UNIT) {
      this.reset();
      throw new H264Error('H264_ACCESS_UNIT_TOO_LARGE', `${MAX_NAL_UNITS_PER_ACCESS_UNIT} NAL units without completing a picture; the stream has no slices or is not H.264`);
    }
    this.current.push(nal);
    if (isVclSlice(nal.type)) {
      if (!this.currentHasVcl) this.currentBidirectional = isBSlice(nal);
      this.currentHasVcl = true;
      this.currentIsIdr = nal.type === NalType.IdrSlice;
    }
    return completed;
  }

  /**
   * Looks at the first bytes of a NAL unit still arriving: if it begins the next access unit, the
   * current one is complete now. Saves a whole frame of latency on streams without AUDs, where the
   * next picture's first slice would otherwise have to arrive in full first.
   */
  peekNext(head: Uint8Array): AccessUnit | undefined {
    if (!this.currentHasVcl) return undefined;
    const nal = makeNalUnit(head, 4);
    if (head.length < 2 && isVclSlice(nal.type)) return undefined;
    if (!this.beginsNextAccessUnit(nal)) return undefined;
    const au = this.finish();
    this.arrivalMs = this.clock.arrival(); // the next access unit has started to arrive
    return au;
  }

  /** Emits the last access unit (it has no successor to end it). NAL units without a slice are dropped. */
  end(): AccessUnit | undefined {
    return this.currentHasVcl ? this.finish() : this.reset();
  }

  /** The most recent SPS and PPSs, or undefined before the first SPS. */
  parameterSets(): ParameterSets | undefined {
    if (!this.sps) return undefined;
    const pps = [...this.ppsById.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
    return { sps: this.sps.nal, spsInfo: this.sps.info, pps };
  }

  /** The NAL units of the access unit being assembled (views into the input), re-pointed by `move`. */
  retainedViews(move: (view: Uint8Array) => Uint8Array): void {
    const current = this.current;
    for (let i = 0; i < current.length; i += 1) {
      const nal = current[i]!;
      const moved = move(nal.data);
      if (moved !== nal.data) current[i] = makeNalUnit(moved, nal.startCodeLength);
    }
  }

  private beginsNextAccessUnit(nal: NalUnit): boolean {
    const t = nal.type;
    if (isVclSlice(t)) return startsNewPicture(nal) || (t === NalType.IdrSlice) !== this.currentIsIdr;
    return t === NalType.AccessUnitDelimiter || t === NalType.Sps || t === NalType.Pps || t === NalType.Sei || (t >= 14 && t <= 18);
  }

  private observe(nal: NalUnit): void {
    // Kept for a whole GOP or longer: a copy of their few bytes, not a view that would keep the whole
    // input chunk (or an InputWindow's bytes) alive.
    if (nal.type === NalType.Sps) {
      this.sps = { nal: ownCopy(nal), info: parseSps(nal.data) };
    } else if (nal.type === NalType.Pps) {
      this.ppsById.set(parsePpsIds(nal.data).ppsId, ownCopy(nal));
    } else if (nal.type === NalType.Sei && this.options.recoveryPointIsKeyframe && !this.currentRecovery) {
      this.currentRecovery = seiPayloadTypes(nal.data).includes(SEI_RECOVERY_POINT);
    }
  }

  private finish(): AccessUnit {
    const nalUnits = this.current;
    let byteLength = 0;
    for (const n of nalUnits) byteLength += n.data.length;
    const index = this.nextIndex++;
    const timestampMs = this.clock.stamp(index, this.arrivalMs, this.sps?.info.frameRate);
    const keyframe = this.currentIsIdr || this.currentRecovery;
    const bidirectional = this.currentBidirectional;
    this.reset();
    return { index, nalUnits, keyframe, timestampMs, byteLength, bidirectional };
  }

  private reset(): undefined {
    this.current = [];
    this.currentHasVcl = false;
    this.currentIsIdr = false;
    this.currentRecovery = false;
    this.currentBidirectional = false;
    this.arrivalMs = undefined;
    return undefined;
  }
}

export interface CopyInputOptions {
  /** Copy each chunk into a window the parser owns: the caller may reuse a chunk's memory once push() returns. */
  readonly copyInput?: boolean;
  /** The window's first size (default 256 KiB); it grows to hold the largest access unit plus a chunk. */
  readonly inputWindowBytes?: number;
}

/**
 * Annex B bytes in, access units out: the splitter and the assembler in one push-based object.
 *
 * By default the access units are views into the pushed chunks, which must then stay unchanged. With
 * `copyInput`, each chunk is copied into an InputWindow the parser owns, so the caller may reuse the
 * chunk's memory as soon as push() returns; access units are then valid until the next push() or end().
 */
export class AnnexBAccessUnitParser {
  private readonly splitter: AnnexBSplitter;
  private readonly assembler: AccessUnitAssembler;
  private readonly nalScratch: NalUnit[] = [];
  private readonly window: InputWindow | undefined;
  private readonly retainedViews: RetainedViews = (move) => {
    this.splitter.retainedViews(move);
    this.assembler.retainedViews(move);
  };

  constructor(options: AccessUnitOptions & CopyInputOptions) {
    this.splitter = new AnnexBSplitter(options.maxNalBytes);
    this.assembler = new AccessUnitAssembler(options);
    this.window = options.copyInput ? new InputWindow(options.inputWindowBytes) : undefined;
  }

  push(chunk: Uint8Array, out: AccessUnit[] = []): AccessUnit[] {
    const input = this.window === undefined ? chunk : this.window.admit(chunk, this.retainedViews);
    this.drain(this.splitter.push(input, this.nalScratch), out);
    const head = this.splitter.pendingHead();
    const early = head && this.assembler.peekNext(head);
    if (early) out.push(early);
    return out;
  }

  end(out: AccessUnit[] = []): AccessUnit[] {
    this.drain(this.splitter.end(this.nalScratch), out);
    const last = this.assembler.end();
    if (last) out.push(last);
    return out;
  }

  parameterSets(): ParameterSets | undefined {
    return this.assembler.parameterSets();
  }

  get skippedLeadingBytes(): number {
    return this.splitter.skippedLeadingBytes;
  }

  /** The input window's size with copyInput (undefined without): it follows the largest access unit, not the stream. */
  get inputWindowBytes(): number | undefined {
    return this.window?.capacity;
  }

  private drain(nals: NalUnit[], out: AccessUnit[]): AccessUnit[] {
    for (const nal of nals) {
      const au = this.assembler.push(nal);
      if (au) out.push(au);
    }
    nals.length = 0;
    return out;
  }
}

function ownCopy(nal: NalUnit): NalUnit {
  return makeNalUnit(new Uint8Array(nal.data), nal.startCodeLength);
}

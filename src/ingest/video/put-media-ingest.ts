/**
 * One PutMedia upload turned into fragments and ACKs (kvs.md §1.5, §2.1): the body is parsed as it
 * arrives; each Cluster is one fragment, announced BUFFERING when its Timecode arrives, RECEIVED when it
 * ends (at the next Cluster or Tags, or the end of the body), and PERSISTED once the store has it on disk.
 * The service's checks run as the bytes come: undeclared tracks (4010), too many tracks (4012), fragments
 * too long (4002) or too large (4001), timecodes going backwards (4004), metadata over the limit (4009),
 * tracks without frames (4011), connection age (4003) and anything the MKV reader rejects (4006). The first
 * error ends the session: an ERROR ACK, then no more reading.
 *
 * Transport-free: the route feeds it chunks and sends what it emits.
 */
import type { Clock } from '../../core/clock.js';
import { MkvError, MkvReader, type MkvBlockEvent, type MkvEvent } from '../../media/mkv/index.js';
import { AckError, errorAck, fragmentAck, type AckErrorKind } from './ack.js';
import { ByteWindow, elementHeaderLength, elementLength } from './byte-window.js';
import type { FragmentStore } from './fragment-store.js';
import { MAX_CONNECTION_DURATION_MS, MAX_FRAGMENT_BYTES, MAX_FRAGMENT_DURATION_MS, MAX_FRAGMENT_METADATA_TAGS, MAX_TRACKS } from './limits.js';

export type TimecodeType = 'ABSOLUTE' | 'RELATIVE';

export interface PutMediaIngestOptions {
  readonly store: FragmentStore;
  readonly timecodeType: TimecodeType;
  /** `x-amzn-producer-start-timestamp` in ms: the origin of RELATIVE timecodes. */
  readonly producerStartMs: number;
  readonly clock: Clock;
  /** The stream's retention when a fragment completes (it may change during the session); 0: no PERSISTED. */
  readonly retentionHours: () => number;
  readonly send: (ack: Buffer) => void;
  /** A fragment could not be stored (answered with ERROR 5001). */
  readonly onStoreError: (error: unknown) => void;
}

interface OpenFragment {
  readonly timecode: number;
  readonly number: string;
  readonly sequence: number;
  /** Absolute offsets in the body: the Cluster element and its payload. */
  readonly start: number;
  readonly bodyStart: number;
  readonly serverTimestampMs: number;
  frames: number;
  firstBlock: number;
  maxBlock: number;
  readonly tracksSeen: Set<number>;
}

const EMPTY = Buffer.alloc(0);
const CLUSTER_ID = [0x1f, 0x43, 0xb6, 0x75];
/** Cluster ID plus an 8-byte size vint: stored clusters always carry their size. */
const CLUSTER_HEADER_BYTES = 12;

export class PutMediaIngest {
  readonly startedAt: number;
  /** When bytes last arrived (ms, the injected clock). */
  lastDataAt: number;
  private readonly reader = new MkvReader();
  private readonly window = new ByteWindow();
  /** Bytes before this are not needed any more (when no fragment is open). */
  private safe = 0;
  private ebml: Buffer | undefined;
  private info: Buffer = EMPTY;
  private headerId: number | undefined;
  private trackNumbers = new Set<number>();
  private defaultFrameMs = 0;
  private timecodeScaleNs = 1_000_000;
  private pendingTags = 0;
  private current: OpenFragment | undefined;
  private previous: { timecode: number; maxBlock: number } | undefined;
  private readonly pending = new Set<Promise<void>>();
  private done = false;

  constructor(private readonly o: PutMediaIngestOptions) {
    this.startedAt = o.clock.now();
    this.lastDataAt = this.startedAt;
  }

  /** No more input will be read: ended, failed, or stopped from outside. */
  get stopped(): boolean {
    return this.done;
  }

  /** Feeds the next body chunk; false once the session has stopped (stop reading). */
  push(chunk: Uint8Array): boolean {
    if (this.done) return false;
    const now = this.o.clock.now();
    this.lastDataAt = now;
    if (now - this.startedAt >= MAX_CONNECTION_DURATION_MS) {
      this.fail(AckError.MaxConnectionDuration);
      return false;
    }
    this.window.append(chunk);
    if (!this.run(() => this.reader.push(chunk))) return false;
    const c = this.current;
    if (c !== undefined && this.window.end - c.start > MAX_FRAGMENT_BYTES) this.fail(AckError.MaxFragmentSize);
    else if (c === undefined && this.window.end - this.window.start > MAX_FRAGMENT_BYTES) this.fail(AckError.InvalidMkvData);
    this.window.release(this.current?.start ?? this.safe);
    return !this.done;
  }

  /** The input is over (end of body, or idle timeout): completes an open unknown-size cluster. */
  finish(): void {
    if (this.done) return;
    this.run(() => this.reader.end());
    this.done = true;
  }

  /** Ends the session with an ERROR ACK (4003 from the connection timer, 4507 on DeleteStream, ...). */
  fail(error: AckErrorKind): void {
    if (this.done) return;
    this.done = true;
    const c = this.current;
    this.o.send(errorAck(error, c === undefined ? undefined : { timecode: c.timecode, number: c.number }));
  }

  /** Ends the session quietly (server closing, client gone). */
  stop(): void {
    this.done = true;
  }

  /** Resolves when every completed fragment has been stored (and its PERSISTED sent). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private run(read: () => MkvEvent[]): boolean {
    let events: MkvEvent[];
    try {
      events = read();
    } catch (err) {
      if (!(err instanceof MkvError)) throw err;
      this.fail(AckError.InvalidMkvData);
      return false;
    }
    for (const e of events) {
      this.handle(e);
      if (this.done) return false;
    }
    return true;
  }

  private handle(e: MkvEvent): void {
    const w = this.window;
    switch (e.type) {
      case 'ebmlHeader': {
        // A new stream header: a producer restarting its MKV stream at a keyframe (kvs.md §4).
        const end = e.offset + elementLength(w, e.offset);
        this.ebml = w.slice(e.offset, end);
        this.info = EMPTY;
        this.headerId = undefined;
        this.safe = end;
        return;
      }
      case 'segmentStart':
        this.safe = e.offset + elementHeaderLength(w, e.offset);
        return;
      case 'info': {
        const end = e.offset + elementLength(w, e.offset);
        this.info = w.slice(e.offset, end);
        this.timecodeScaleNs = e.timecodeScaleNs;
        this.safe = end;
        return;
      }
      case 'tracks': {
        if (e.tracks.length > MAX_TRACKS) return this.fail(AckError.MoreThanAllowedTracks);
        if (this.ebml === undefined || e.tracks.length === 0) return this.fail(AckError.InvalidMkvData);
        const end = e.offset + elementLength(w, e.offset);
        const header = this.o.store.addHeader({ ebml: this.ebml, info: this.info, tracks: w.slice(e.offset, end) });
        this.headerId = header.id;
        this.trackNumbers = new Set(e.tracks.map((t) => t.number));
        const ns = e.tracks[0]?.defaultDurationNs;
        this.defaultFrameMs = ns === undefined ? 0 : ns / 1e6;
        this.safe = end;
        return;
      }
      case 'tags':
        // Producer metadata; the SDK's own AWS_KINESISVIDEO_* tags (end of fragment, ...) do not count.
        this.pendingTags += e.tags.filter((t) => !t.name.startsWith('AWS_KINESISVIDEO')).length;
        this.safe = e.offset + elementLength(w, e.offset);
        return;
      case 'clusterStart':
        return this.startFragment(e.offset, e.timecode);
      case 'simpleBlock':
        return this.block(e);
      case 'clusterEnd':
        return this.endFragment(e.offset);
      case 'truncated':
        // The body stopped inside an element: whatever was open is not a fragment.
        return this.fail(AckError.InvalidMkvData);
      case 'segmentEnd':
        return;
    }
  }

  private startFragment(offset: number, timecode: number): void {
    if (this.headerId === undefined) return this.fail(AckError.InvalidMkvData);
    const now = this.o.clock.now();
    const { number, sequence } = this.o.store.assignNumber(now);
    const fragment = { timecode, number };
    if (this.pendingTags > MAX_FRAGMENT_METADATA_TAGS) return this.failAt(AckError.FragmentMetadataLimit, fragment);
    this.pendingTags = 0;
    if (this.previous !== undefined && timecode <= this.previous.timecode) return this.failAt(AckError.TimecodeLesserThanPrevious, fragment);
    this.current = {
      timecode,
      number,
      sequence,
      start: offset,
      bodyStart: offset + elementHeaderLength(this.window, offset),
      serverTimestampMs: now,
      frames: 0,
      firstBlock: 0,
      maxBlock: 0,
      tracksSeen: new Set(),
    };
    this.o.send(fragmentAck('BUFFERING', timecode, number));
  }

  private block(e: MkvBlockEvent): void {
    const c = this.current!;
    if (!this.trackNumbers.has(e.trackNumber)) return this.fail(AckError.TrackNumberMismatch);
    if (this.toMs(e.timecode - c.timecode) > MAX_FRAGMENT_DURATION_MS) return this.fail(AckError.MaxFragmentDuration);
    if (c.frames === 0) {
      // "The earliest frame timestamp in a fragment must be after the latest frame timestamp in the previous fragment."
      if (this.previous !== undefined && e.timecode <= this.previous.maxBlock) return this.fail(AckError.TimecodeLesserThanPrevious);
      c.firstBlock = e.timecode;
      c.maxBlock = e.timecode;
    } else if (e.timecode > c.maxBlock) {
      c.maxBlock = e.timecode;
    }
    c.frames++;
    c.tracksSeen.add(e.trackNumber);
  }

  private endFragment(end: number): void {
    const c = this.current!;
    if (c.frames === 0 || [...this.trackNumbers].some((t) => !c.tracksSeen.has(t))) return this.fail(AckError.FramesMissingForTrack);
    const bodyLength = end - c.bodyStart;
    if (CLUSTER_HEADER_BYTES + bodyLength > MAX_FRAGMENT_BYTES) return this.fail(AckError.MaxFragmentSize);
    const cluster = Buffer.allocUnsafe(CLUSTER_HEADER_BYTES + bodyLength);
    cluster.set(CLUSTER_ID, 0);
    cluster[4] = 0x01; // 8-byte size vint
    cluster.writeUIntBE(Math.floor(bodyLength / 2 ** 32), 5, 3);
    cluster.writeUInt32BE(bodyLength >>> 0, 8);
    this.window.copyInto(cluster, CLUSTER_HEADER_BYTES, c.bodyStart, end);
    this.current = undefined;
    this.previous = { timecode: c.timecode, maxBlock: c.maxBlock };
    this.safe = end;
    this.o.send(fragmentAck('RECEIVED', c.timecode, c.number));

    const spanMs = this.toMs(c.maxBlock - c.firstBlock);
    const frameMs = c.frames > 1 ? spanMs / (c.frames - 1) : this.defaultFrameMs;
    const timecodeMs = this.toMs(c.timecode);
    const persist = this.o.retentionHours() > 0;
    const stored = this.o.store
      .append(
        {
          number: c.number,
          sequence: c.sequence,
          headerId: this.headerId!,
          fragmentTimecode: c.timecode,
          producerTimestampMs: this.o.timecodeType === 'ABSOLUTE' ? timecodeMs : this.o.producerStartMs + timecodeMs,
          serverTimestampMs: c.serverTimestampMs,
          durationMs: Math.round(spanMs + frameMs),
          frameCount: c.frames,
          cluster,
        },
        persist,
      )
      .then(
        () => {
          if (persist) this.o.send(fragmentAck('PERSISTED', c.timecode, c.number));
        },
        (err: unknown) => {
          this.o.onStoreError(err);
          this.o.send(errorAck(AckError.ArchivalError, { timecode: c.timecode, number: c.number }));
        },
      )
      .finally(() => this.pending.delete(stored));
    this.pending.add(stored);
  }

  private failAt(error: AckErrorKind, fragment: { timecode: number; number: string }): void {
    if (this.done) return;
    this.done = true;
    this.o.send(errorAck(error, fragment));
  }

  private toMs(timecodeUnits: number): number {
    return (timecodeUnits * this.timecodeScaleNs) / 1e6;
  }
}

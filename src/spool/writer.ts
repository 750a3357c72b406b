/**
 * The write side of the disk spool (SPEC.md §6): frames go to the end of the active segment, rotation
 * at maxSegmentBytes, and group commit.
 *
 * Group commit: all appends made in one event-loop turn are written with one writev (a microtask
 * flush). Under fsync 'always' at most one fsync round runs at a time; every batch written while it
 * runs waits in `awaiting` and is covered by the next round, which starts as soon as the previous one
 * ends. So the number of fdatasyncs tracks the number of rounds, not the number of records.
 */
import { ENTRY_HEADER_BYTES, stampSeq } from './entry-codec.js';
import { SpoolIoError } from './errors.js';
import type { SpoolIo } from './io.js';
import { newSegment, type Segment, type SegmentTable } from './segments.js';
import type { FsyncPolicy } from './types.js';

/** One `append` call, its payloads already framed (seq and header checksum still blank). */
export interface PreparedAppend {
  readonly frames: Buffer;
  readonly count: number;
  readonly bytes: number;
  readonly single: boolean;
  readonly resolve: (seqs: number | number[]) => void;
  readonly reject: (error: Error) => void;
}

export interface WriterEvents {
  /** Entries below `acceptedEnd` are accepted (readable). */
  accepted(acceptedEnd: number): void;
  /** One append's entries became accepted: `count` entries from `firstSeq`, framed in `frames` (seqs stamped). */
  published(firstSeq: number, count: number, frames: Buffer): void;
  /** Admitted bytes have reached a segment or were given up. */
  settled(bytes: number): void;
  /** The writer stopped for good (an fsync failed). */
  failed(error: SpoolIoError): void;
}

interface VisibleMark {
  readonly segment: Segment;
  readonly bytes: number;
  readonly lastSeq: number;
}

/** What becomes visible, and whom to tell, once a write is covered by the fsync policy. */
interface Commit {
  readonly marks: readonly VisibleMark[];
  readonly endSeq: number;
  readonly settle: (error?: Error) => void;
  /** The appends written, from `endSeq - their count` on (none for a sync round). */
  readonly appends?: readonly PreparedAppend[];
}

interface Touched {
  readonly segment: Segment;
  readonly fd: number;
  readonly bytesBefore: number;
  readonly lastSeqBefore: number;
  readonly created: boolean;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

export class SegmentWriter {
  private nextSeqValue: number;
  private acceptedEndValue: number;
  private activeFd: number | undefined;
  private queue: PreparedAppend[] = [];
  private flushScheduled = false;
  private awaiting: Commit[] = [];
  private syncing = false;
  private readonly dirtyFds = new Set<number>();
  /** Write fds of sealed segments: closed after the next fsync round covers them. */
  private retiredFds: number[] = [];
  private dirDirty = false;
  private idleWaiters: Array<() => void> = [];
  private failure: SpoolIoError | undefined;

  constructor(
    private readonly io: SpoolIo,
    private readonly dir: string,
    private readonly dirFd: number,
    private readonly table: SegmentTable,
    private readonly policy: FsyncPolicy,
    private readonly maxSegmentBytes: number,
    nextSeq: number,
    private readonly counters: { fdatasyncs: number },
    private readonly events: WriterEvents,
  ) {
    this.nextSeqValue = nextSeq;
    this.acceptedEndValue = nextSeq;
  }

  /** The seq the next written entry gets. */
  get nextSeq(): number {
    return this.nextSeqValue;
  }

  /** One past the last accepted seq. */
  get acceptedEnd(): number {
    return this.acceptedEndValue;
  }

  get failed(): SpoolIoError | undefined {
    return this.failure;
  }

  append(prepared: PreparedAppend): void {
    if (this.failure) {
      this.events.settled(prepared.bytes);
      prepared.reject(this.failure);
      return;
    }
    this.queue.push(prepared);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Why a microtask: every append made in this turn of the event loop goes out in one writev.
      queueMicrotask(() => this.flush());
    }
  }

  /** Fsyncs everything written so far (any policy); resolves after a round that started now. */
  sync(): Promise<void> {
    this.flush();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.awaiting.push({ marks: [], endSeq: 0, settle: (error) => (error ? reject(error) : resolve()) });
      if (!this.syncing) this.startSync();
    });
  }

  /** For fsync 'interval': one round if anything is dirty. */
  syncInBackground(): void {
    if (!this.failure && !this.syncing && (this.dirtyFds.size > 0 || this.dirDirty)) this.startSync();
  }

  /** Resolves when nothing is queued, being written or waiting for an fsync. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops appending to the active segment (so that it can be deleted); the next write starts a new one. */
  seal(): void {
    const last = this.table.last;
    if (!last || last.sealed) return;
    last.sealed = true;
    if (this.activeFd !== undefined) {
      this.retiredFds.push(this.activeFd);
      this.activeFd = undefined;
      if (!this.syncing) this.startSync();
    }
  }

  async close(): Promise<void> {
    try {
      if (!this.failure) await this.sync();
      await this.whenIdle();
    } finally {
      for (const fd of this.retiredFds.splice(0)) this.closeQuietly(fd);
      if (this.activeFd !== undefined) this.closeQuietly(this.activeFd);
      this.activeFd = undefined;
    }
  }

  private isIdle(): boolean {
    return !this.flushScheduled && this.queue.length === 0 && this.awaiting.length === 0 && !this.syncing;
  }

  private notifyIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private flush(): void {
    if (!this.flushScheduled) return;
    this.flushScheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let bytes = 0;
    let count = 0;
    for (const prepared of batch) {
      bytes += prepared.bytes;
      count += prepared.count;
    }
    const firstSeq = this.nextSeqValue;
    let marks: VisibleMark[];
    try {
      marks = this.writeBatch(batch, firstSeq);
    } catch (error) {
      this.events.settled(bytes);
      const failure = new SpoolIoError(
        `Writing ${count} entries to the spool in ${this.dir} failed (${errorCode(error)}); they were not accepted. Free disk space or check the device, then append again.`,
        error,
      );
      for (const prepared of batch) prepared.reject(failure);
      this.notifyIdle();
      return;
    }
    this.events.settled(bytes);
    this.nextSeqValue = firstSeq + count;
    const commit: Commit = {
      marks,
      endSeq: firstSeq + count,
      appends: batch,
      settle: (error) => {
        let seq = firstSeq;
        for (const prepared of batch) {
          if (error) prepared.reject(error);
          else if (prepared.single) prepared.resolve(seq);
          else prepared.resolve(Array.from({ length: prepared.count }, (_, i) => seq + i));
          seq += prepared.count;
        }
      },
    };
    if (this.policy === 'always') {
      this.awaiting.push(commit);
      if (!this.syncing) this.startSync();
      return;
    }
    this.publish(commit);
    // Rotation retired a write fd: one round fsyncs (unless 'never') and closes it.
    if (this.retiredFds.length > 0 && !this.syncing) this.startSync();
    else this.notifyIdle();
  }

  /** Stamps seqs and writes the batch, rotating as needed; on failure undoes every byte it wrote. */
  private writeBatch(batch: readonly PreparedAppend[], firstSeq: number): VisibleMark[] {
    const touched: Touched[] = [];
    let seq = firstSeq;
    let segment: Segment | undefined;
    let chunks: Buffer[] = [];
    let pending = 0;
    const writeChunks = (): void => {
      if (pending === 0 || segment === undefined) return;
      this.io.write(this.activeFd!, chunks, segment.bytes);
      this.table.resize(segment, segment.bytes + pending);
      segment.lastSeq = seq - 1;
      chunks = [];
      pending = 0;
    };
    try {
      segment = this.writableSegment(touched);
      for (const prepared of batch) {
        const frames = prepared.frames;
        let at = 0;
        let runStart = 0;
        while (at < frames.length) {
          const size = ENTRY_HEADER_BYTES + frames.readUInt32LE(at + 4);
          const projected = segment === undefined ? 0 : segment.bytes + pending + (at - runStart);
          if (segment === undefined || (projected + size > this.maxSegmentBytes && projected > 0)) {
            if (at > runStart) chunks.push(frames.subarray(runStart, at));
            pending += at - runStart;
            runStart = at;
            writeChunks();
            segment = this.createSegment(seq, touched);
          }
          at = stampSeq(frames, at, seq);
          seq += 1;
        }
        if (at > runStart) chunks.push(frames.subarray(runStart, at));
        pending += at - runStart;
      }
      writeChunks();
    } catch (error) {
      this.rollback(touched);
      throw error;
    }
    for (const t of touched) this.dirtyFds.add(t.fd);
    return touched.map((t) => ({ segment: t.segment, bytes: t.segment.bytes, lastSeq: t.segment.lastSeq }));
  }

  private writableSegment(touched: Touched[]): Segment | undefined {
    const last = this.table.last;
    if (!last || last.sealed) return undefined;
    if (this.activeFd === undefined) this.activeFd = this.io.open(last.path, 'r+');
    touched.push({ segment: last, fd: this.activeFd, bytesBefore: last.bytes, lastSeqBefore: last.lastSeq, created: false });
    return last;
  }

  private createSegment(firstSeq: number, touched: Touched[]): Segment {
    const segment = newSegment(this.dir, firstSeq);
    const fd = this.io.open(segment.path, 'w');
    if (this.activeFd !== undefined) this.retiredFds.push(this.activeFd);
    const last = this.table.last;
    if (last) last.sealed = true;
    this.activeFd = fd;
    this.table.push(segment);
    // A new name must be durable before entries in it are acknowledged.
    this.dirDirty = true;
    touched.push({ segment, fd, bytesBefore: 0, lastSeqBefore: firstSeq - 1, created: true });
    return segment;
  }

  private rollback(touched: readonly Touched[]): void {
    try {
      for (const t of [...touched].reverse()) {
        if (t.created) {
          if (this.activeFd === t.fd) this.activeFd = undefined;
          this.io.close(t.fd);
          this.table.remove(t.segment);
          this.io.unlinkSync(t.segment.path);
        } else {
          this.io.truncate(t.fd, t.bytesBefore);
          this.table.resize(t.segment, t.bytesBefore);
          t.segment.lastSeq = t.lastSeqBefore;
        }
      }
    } catch (error) {
      this.fail(
        new SpoolIoError(`Undoing a failed write in the spool ${this.dir} also failed (${errorCode(error)}); reopen the spool to recover.`, error),
        [],
      );
    }
  }

  private startSync(): void {
    this.syncing = true;
    const commits = this.awaiting;
    this.awaiting = [];
    const fds = [...this.dirtyFds];
    this.dirtyFds.clear();
    const retired = this.retiredFds;
    this.retiredFds = [];
    const syncDir = this.dirDirty;
    this.dirDirty = false;
    this.syncAll(fds, syncDir).then(
      () => {
        for (const fd of retired) this.closeQuietly(fd);
        this.syncing = false;
        for (const commit of commits) this.publish(commit);
        if (this.awaiting.length > 0 || this.retiredFds.length > 0) this.startSync();
        else this.notifyIdle();
      },
      (error: unknown) => {
        for (const fd of retired) this.closeQuietly(fd);
        this.syncing = false;
        this.fail(
          new SpoolIoError(
            `fsync in the spool ${this.dir} failed (${errorCode(error)}); the spool stopped accepting entries because it can no longer tell what is on disk. Reopen it to recover.`,
            error,
          ),
          commits,
        );
      },
    );
  }

  private async syncAll(fds: readonly number[], syncDir: boolean): Promise<void> {
    // Every policy fsyncs here: 'always' on each round, the others only in sync(), close() and when a
    // segment is sealed (once per maxSegmentBytes, so a sealed segment is never left unsynced).
    this.counters.fdatasyncs += fds.length;
    await Promise.all(fds.map((fd) => this.io.fdatasync(fd)));
    if (syncDir) await this.io.fsync(this.dirFd);
  }

  private publish(commit: Commit): void {
    for (const mark of commit.marks) {
      if (mark.bytes > mark.segment.visibleBytes) {
        mark.segment.visibleBytes = mark.bytes;
        mark.segment.visibleLastSeq = mark.lastSeq;
      }
    }
    const advanced = commit.endSeq > this.acceptedEndValue;
    if (advanced) this.acceptedEndValue = commit.endSeq;
    if (commit.appends !== undefined) {
      let seq = commit.endSeq;
      for (const prepared of commit.appends) seq -= prepared.count;
      for (const prepared of commit.appends) {
        this.events.published(seq, prepared.count, prepared.frames);
        seq += prepared.count;
      }
    }
    commit.settle();
    if (advanced) this.events.accepted(this.acceptedEndValue);
  }

  private fail(failure: SpoolIoError, commits: readonly Commit[]): void {
    this.failure = failure;
    for (const commit of commits) commit.settle(failure);
    for (const commit of this.awaiting.splice(0)) commit.settle(failure);
    for (const prepared of this.queue.splice(0)) {
      this.events.settled(prepared.bytes);
      prepared.reject(failure);
    }
    this.flushScheduled = false;
    this.events.failed(failure);
    this.notifyIdle();
  }

  private closeQuietly(fd: number): void {
    try {
      this.io.close(fd);
    } catch {
      // Closing is best effort; the data was already fsynced or the spool has failed.
    }
  }
}

/**
 * The fragments one PutMedia connection has sent and the service has not confirmed yet, and the reading of
 * the ACK stream that confirms them: RECEIVED/PERSISTED free a fragment in the store, an ERROR ACK is charged
 * to the fragment it blames. Kept apart from the session, which owns the socket and the clock, so the rules
 * for what an ACK frees read on their own; the session only hears "the service is alive" and "an ERROR ACK
 * decided how this connection ends".
 */
import { AckParser, type Ack, type AckParserOutput, type ErrorAck } from './ack-parser.js';
import { blameFragment, decideOnErrorAck } from './error-ack-policy.js';
import type { KvsEventListener } from './events.js';
import type { FragmentStore, StoredFragment } from './fragment-store.js';
import type { SessionOutcomeDraft } from './session-outcome.js';

export interface InFlight {
  readonly fragment: StoredFragment;
  /** Copies of the fragment's, for blameFragment. */
  readonly fragmentTimecodeMs: number;
  readonly seq: number;
  flushed: boolean;
  received: boolean;
}

export interface InFlightAcksOptions {
  readonly connectionId: number;
  readonly store: FragmentStore;
  readonly freeOn: 'PERSISTED' | 'RECEIVED';
  readonly attempts: Map<number, number>;
  readonly maxAttemptsPerFragment: number;
  readonly onEvent: KvsEventListener;
  /** False once the session is over: ACKs still queued in a parsed chunk are then ignored. */
  readonly isLive: () => boolean;
  /** Any ACK but IDLE: the service is reading what we send. */
  readonly onLiveness: () => void;
  readonly onErrorOutcome: (outcome: SessionOutcomeDraft) => void;
}

export class InFlightAcks {
  private readonly o: InFlightAcksOptions;
  private readonly parser = new AckParser();
  /** Keyed by fragment timecode: what the ACKs quote. Insertion order is send order. */
  private readonly entries = new Map<number, InFlight>();
  private waiter: (() => void) | undefined;
  private confirmedCount = 0;

  constructor(options: InFlightAcksOptions) {
    this.o = options;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Fragments confirmed (persisted/received) on this connection; skips do not count. */
  get confirmed(): number {
    return this.confirmedCount;
  }

  /** Registered before the first byte goes out, so an ACK racing the write still finds it. */
  track(fragment: StoredFragment): InFlight {
    const entry: InFlight = { fragment, fragmentTimecodeMs: fragment.fragmentTimecodeMs, seq: fragment.seq, flushed: false, received: false };
    this.entries.set(fragment.fragmentTimecodeMs, entry);
    return entry;
  }

  /** The fragment was dropped before any byte of it was sent: it owes no ACK and no retry charge. */
  untrack(fragment: StoredFragment): void {
    this.entries.delete(fragment.fragmentTimecodeMs);
    this.o.attempts.delete(fragment.seq);
  }

  /** Resolves at the next free (or `wake`); one waiter at a time, as the session only ever has one. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => (this.waiter = resolve));
  }

  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  feed(chunk: Buffer): void {
    this.onOutputs(this.parser.feed(chunk));
  }

  /** The response ended: a last ACK without its trailing newline still counts. */
  end(): void {
    this.onOutputs(this.parser.end());
  }

  private onOutputs(outputs: AckParserOutput[]): void {
    for (const output of outputs) {
      if (!this.o.isLive()) return;
      if (output.type === 'MALFORMED') {
        this.o.onEvent({ type: 'malformed-ack', connectionId: this.o.connectionId, ack: output });
        continue;
      }
      this.onAck(output);
    }
  }

  private onAck(ack: Ack): void {
    const id = this.o.connectionId;
    if (ack.type === 'IDLE') {
      // Not liveness: IDLE while we have unconfirmed data means the service is not seeing it.
      this.o.onEvent({ type: 'ack', connectionId: id, ack, seq: undefined });
      return;
    }
    this.o.onLiveness();
    if (ack.type === 'ERROR') {
      this.onErrorAck(ack);
      return;
    }
    const entry = this.entries.get(ack.fragmentTimecode);
    if (entry === undefined) {
      // With no retention a stray PERSISTED may follow the RECEIVED that freed the fragment.
      if (!(ack.type === 'PERSISTED' && this.o.freeOn === 'RECEIVED')) this.o.onEvent({ type: 'unmatched-ack', connectionId: id, ack });
      return;
    }
    this.o.onEvent({ type: 'ack', connectionId: id, ack, seq: entry.fragment.seq });
    if (ack.type === 'RECEIVED') {
      entry.received = true;
      if (this.o.freeOn === 'RECEIVED') this.free(entry, 'received');
    } else if (ack.type === 'PERSISTED') {
      this.free(entry, 'persisted');
    }
  }

  private free(entry: InFlight, reason: 'persisted' | 'received' | 'skipped', detail?: string): void {
    this.entries.delete(entry.fragment.fragmentTimecodeMs);
    this.o.attempts.delete(entry.fragment.seq);
    if (reason !== 'skipped') this.confirmedCount += 1;
    if (reason === 'skipped') this.o.onEvent({ type: 'fragment-skipped', fragment: entry.fragment, reason: detail ?? 'skipped' });
    this.o.store.release(entry.fragment.seq, reason, detail).catch(() => {
      // The index entry is gone already; a file left behind is resent after a restart (a duplicate, not a loss).
    });
    this.wake();
  }

  private onErrorAck(ack: ErrorAck): void {
    const target = blameFragment(ack, this.entries.values());
    const decision = decideOnErrorAck(ack, target === undefined ? undefined : { attempts: this.o.attempts.get(target.seq) ?? 0 }, this.o.maxAttemptsPerFragment);
    this.o.onEvent({ type: 'error-ack', connectionId: this.o.connectionId, ack, errorClass: decision.errorClass, seq: target?.seq });
    if (target !== undefined && decision.attempts !== undefined) this.o.attempts.set(target.seq, decision.attempts);
    if (target !== undefined && decision.skipReason !== undefined) this.free(target, 'skipped', decision.skipReason);
    this.o.onErrorOutcome(decision.outcome);
  }
}

/**
 * Parking: what the sender does about configuration errors (stream missing, access denied, KMS key
 * disabled, bad credentials). Retrying cannot fix them, and spinning on them would burn the link and
 * the retry budget, so the sender stops sending, keeps every record in the spool, reports the reason
 * (event `parked`, `stats().state`), and re-checks now and then by sending one request (the probe)
 * with growing, jittered delays. When a probe succeeds, it resumes.
 *
 * Deleted streams are the one case where waiting forever is wrong: the records can never arrive at
 * that stream, and the spool would fill with them. For the codes in `deadLetterCodes` (default
 * `ResourceNotFoundException`), once the error has persisted for `deadLetterAfterChecks` probes AND
 * `deadLetterAfterMs`, the sender dead-letters (state `dead-lettering`): each request that still
 * fails with that code has its records written to the dead-letter file with the reason, so the
 * backlog drains there, never retried forever. A request that succeeds puts it back to `running`
 * (the stream was re-created). Other configuration errors (access denied, KMS) park indefinitely:
 * a person can fix them, and the data waits in the spool.
 */
import type { Clock, Rng } from '../../core/clock.js';
import { backoffCeilingMs } from '../../retry/backoff.js';

export interface ParkingOptions {
  /** First re-check after this long (default 5,000 ms); doubles up to `maxCheckIntervalMs`. */
  readonly checkIntervalMs?: number;
  /** Default 300,000 ms. */
  readonly maxCheckIntervalMs?: number;
  /** Error codes that, once persistent, dead-letter instead of parking (default ['ResourceNotFoundException']). */
  readonly deadLetterCodes?: readonly string[];
  /** Failed checks (the first failure included) before dead-lettering (default 5). */
  readonly deadLetterAfterChecks?: number;
  /** And at least this long since parking (default 300,000 ms). */
  readonly deadLetterAfterMs?: number;
}

export const PARKING_DEFAULTS = Object.freeze({
  checkIntervalMs: 5_000,
  maxCheckIntervalMs: 300_000,
  deadLetterCodes: Object.freeze(['ResourceNotFoundException']) as readonly string[],
  deadLetterAfterChecks: 5,
  deadLetterAfterMs: 300_000,
});

export type SenderState = 'running' | 'parked' | 'dead-lettering';

export interface ParkedInfo {
  readonly code: string;
  readonly message: string;
  /** Clock ms of the first failure. */
  readonly sinceMs: number;
  /** Failed checks so far (the first failure included). */
  readonly checks: number;
  /** Clock ms of the next probe. */
  readonly nextCheckAtMs: number;
}

export type ParkingVerdict = 'park' | 'dead-letter';

export class Parking {
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #options: Required<ParkingOptions>;
  #state: SenderState = 'running';
  #info: ParkedInfo | undefined;

  constructor(clock: Clock, rng: Rng, options: ParkingOptions = {}) {
    this.#clock = clock;
    this.#rng = rng;
    this.#options = { ...PARKING_DEFAULTS, ...options } as Required<ParkingOptions>;
  }

  get state(): SenderState {
    return this.#state;
  }

  get info(): ParkedInfo | undefined {
    return this.#info;
  }

  /** While running, anything may be sent; otherwise one probe, once its time has come. */
  mayProbe(nowMs: number): boolean {
    return this.#state === 'running' || this.#state === 'dead-lettering' || nowMs >= this.#info!.nextCheckAtMs;
  }

  /** Clock ms of the next probe, or +Infinity when not parked. */
  get nextCheckAtMs(): number {
    return this.#state === 'parked' ? this.#info!.nextCheckAtMs : Number.POSITIVE_INFINITY;
  }

  /** A request failed with a configuration error: park (or keep parking), or dead-letter its records. */
  onConfigurationError(code: string, message: string): ParkingVerdict {
    const now = this.#clock.now();
    const previous = this.#info;
    const sameError = previous !== undefined && previous.code === code;
    const checks = sameError ? previous.checks + 1 : 1;
    const sinceMs = sameError ? previous.sinceMs : now;
    const persistent =
      this.#options.deadLetterCodes.includes(code) &&
      checks >= this.#options.deadLetterAfterChecks &&
      now - sinceMs >= this.#options.deadLetterAfterMs;
    // Jitter in [ceiling/2, ceiling): a fleet that lost the same stream does not re-check in step.
    const ceiling = backoffCeilingMs(checks - 1, this.#options.checkIntervalMs, this.#options.maxCheckIntervalMs);
    const delay = ceiling / 2 + (this.#rng.next() * ceiling) / 2;
    this.#info = { code, message, sinceMs, checks, nextCheckAtMs: now + delay };
    this.#state = persistent ? 'dead-lettering' : 'parked';
    return persistent ? 'dead-letter' : 'park';
  }

  /** A request succeeded: returns true if that ended a parked or dead-lettering spell. */
  onSuccess(): boolean {
    if (this.#state === 'running' && this.#info === undefined) return false;
    this.#state = 'running';
    this.#info = undefined;
    return true;
  }
}

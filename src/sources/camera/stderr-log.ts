/**
 * A capture process's stderr, into the log without flooding it: a camera in trouble can print the same
 * warning 30 times a second, and journald would drop or rate-limit the unit's whole log (device.md §5.3).
 * At most `lines` lines are logged per `windowMs`; the rest are counted, and the count is logged once the
 * next window opens. The last few lines are kept for error messages either way.
 */
import type { Clock } from '../../core/clock.js';

export interface CaptureLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: CaptureLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface StderrBudget {
  /** Lines logged per window (default 20). */
  readonly lines?: number;
  /** Window length (default 60 s). */
  readonly windowMs?: number;
}

const RECENT_LINES = 8;

export class RateLimitedStderrLog {
  private readonly linesPerWindow: number;
  private readonly windowMs: number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private loggedInWindow = 0;
  private suppressedInWindow = 0;
  private suppressedTotal = 0;
  private readonly recentLines: string[] = [];

  constructor(
    private readonly logger: CaptureLogger,
    private readonly clock: Clock,
    private readonly context: object,
    budget: StderrBudget = {},
  ) {
    this.linesPerWindow = budget.lines ?? 20;
    this.windowMs = budget.windowMs ?? 60_000;
  }

  line(text: string, important: boolean): void {
    this.recentLines.push(text);
    if (this.recentLines.length > RECENT_LINES) this.recentLines.shift();
    const now = this.clock.now();
    if (now - this.windowStart >= this.windowMs) this.openWindow(now);
    if (this.loggedInWindow >= this.linesPerWindow) {
      this.suppressedInWindow += 1;
      this.suppressedTotal += 1;
      return;
    }
    this.loggedInWindow += 1;
    this.logger[important ? 'warn' : 'info']({ ...this.context, stderr: text }, 'capture process stderr');
  }

  /** Logs how many lines the current window suppressed (called when a process ends, too). */
  flush(): void {
    if (this.suppressedInWindow > 0) {
      this.logger.warn({ ...this.context, suppressed: this.suppressedInWindow }, 'capture process stderr lines suppressed (rate limit)');
      this.suppressedInWindow = 0;
    }
  }

  recent(): readonly string[] {
    return this.recentLines;
  }

  get suppressed(): number {
    return this.suppressedTotal;
  }

  private openWindow(now: number): void {
    this.flush();
    this.windowStart = now;
    this.loggedInWindow = 0;
  }
}

/**
 * Per-key calls-per-second limits on the injected clock (one-second windows): the quota page's hard TPS
 * limits, answered with ClientLimitExceededException like the service. One small counter per key.
 */
export class TpsGate {
  private readonly windows = new Map<string, { second: number; count: number }>();

  constructor(private readonly enabled: boolean) {}

  /** Counts a call; false when `key` already had `limit` calls in the current second. */
  allow(key: string, limit: number, nowMs: number): boolean {
    if (!this.enabled) return true;
    const second = Math.floor(nowMs / 1000);
    const w = this.windows.get(key);
    if (w === undefined || w.second !== second) {
      this.windows.set(key, { second, count: 1 });
      return true;
    }
    if (w.count >= limit) return false;
    w.count++;
    return true;
  }

  forget(keyPrefix: string): void {
    for (const key of this.windows.keys()) if (key.startsWith(keyPrefix)) this.windows.delete(key);
  }
}

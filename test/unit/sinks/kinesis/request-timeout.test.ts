import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { withRequestTimeout } from '../../../../src/sinks/kinesis/request-timeout.js';

describe('withRequestTimeout', () => {
  it("leaves no listener on the caller's long-lived signal once a request settled, however it ended", async () => {
    const producerSignal = new AbortController().signal;
    for (let i = 0; i < 20; i++) {
      await withRequestTimeout('PutRecords', 60_000, producerSignal, () => Promise.resolve(i));
      await expect(withRequestTimeout('PutRecords', 60_000, producerSignal, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    }
    expect(getEventListeners(producerSignal, 'abort')).toHaveLength(0);
  });

  it("still aborts the call when the caller's signal fires during the request", async () => {
    const caller = new AbortController();
    let callSignal: AbortSignal | undefined;
    const pending = withRequestTimeout('PutRecords', 60_000, caller.signal, (signal) => {
      callSignal = signal;
      return new Promise<never>(() => undefined);
    });
    caller.abort(new Error('closing'));
    await expect(pending).rejects.toThrow('closing');
    expect(callSignal?.aborted).toBe(true);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });
});

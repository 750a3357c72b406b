import { describe, expect, it } from 'vitest';
import { timerSleep } from '../../../../src/ingest/firehose/backoff.js';

describe("Firehose's production sleep", () => {
  it('resolves after the timer fires', async () => {
    await expect(timerSleep(0)).resolves.toBeUndefined();
  });

  it('ends quietly (resolves) at once when the stream is already stopping', async () => {
    const controller = new AbortController();
    controller.abort(new Error('closing'));
    await expect(timerSleep(60_000, controller.signal)).resolves.toBeUndefined();
  });

  it('ends quietly when the stream stops mid-sleep, without waiting for the timer', async () => {
    const controller = new AbortController();
    const sleeping = timerSleep(60_000, controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(sleeping).resolves.toBeUndefined();
  });
});

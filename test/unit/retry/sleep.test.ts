import { describe, expect, it } from 'vitest';
import { timerSleep } from '../../../src/retry/sleep.js';

describe('timerSleep (the production Sleep port)', () => {
  it('resolves after the timer fires', async () => {
    await expect(timerSleep(0)).resolves.toBeUndefined();
  });

  it('rejects at once with the abort reason when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('closing'));
    await expect(timerSleep(60_000, controller.signal)).rejects.toThrow('closing');
  });

  it('rejects with the abort reason when aborted while sleeping, without waiting for the timer', async () => {
    const controller = new AbortController();
    const sleeping = timerSleep(60_000, controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(sleeping).rejects.toThrow('shutdown');
  });
});

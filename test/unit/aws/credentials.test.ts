import { describe, expect, it } from 'vitest';
import { cachedCredentials, CredentialsError, type AwsCredentials } from '../../../src/aws/credentials.js';
import { FakeTime } from '../sinks/kinesis-video/helpers/fake-time.js';

function countingProvider(time: FakeTime, lifetimeMs: number | undefined) {
  let calls = 0;
  let fail = false;
  const provider = async (): Promise<AwsCredentials> => {
    calls += 1;
    if (fail) throw new Error('metadata service unreachable');
    return {
      accessKeyId: `AKID${calls}`,
      secretAccessKey: 'secret',
      ...(lifetimeMs === undefined ? {} : { expiration: new Date(time.now() + lifetimeMs) }),
    };
  };
  return { provider, calls: () => calls, setFailing: (f: boolean) => (fail = f) };
}

describe('cachedCredentials', () => {
  it('reuses credentials until refreshBeforeMs before they expire, then fetches new ones', async () => {
    const time = new FakeTime();
    const p = countingProvider(time, 60 * 60_000);
    const get = cachedCredentials(p.provider, { clock: time.clock, refreshBeforeMs: 5 * 60_000 });
    expect((await get()).accessKeyId).toBe('AKID1');
    await time.advance(54 * 60_000);
    expect((await get()).accessKeyId).toBe('AKID1');
    await time.advance(60_000);
    expect((await get()).accessKeyId).toBe('AKID2');
    expect(p.calls()).toBe(2);
  });

  it('never refreshes long-term keys without an expiration', async () => {
    const time = new FakeTime();
    const p = countingProvider(time, undefined);
    const get = cachedCredentials(p.provider, { clock: time.clock });
    await get();
    await time.advance(365 * 24 * 3600_000);
    await get();
    expect(p.calls()).toBe(1);
  });

  it('shares one fetch between concurrent callers', async () => {
    const time = new FakeTime();
    const p = countingProvider(time, 60 * 60_000);
    const get = cachedCredentials(p.provider, { clock: time.clock });
    const all = await Promise.all([get(), get(), get()]);
    expect(new Set(all.map((c) => c.accessKeyId))).toEqual(new Set(['AKID1']));
    expect(p.calls()).toBe(1);
  });

  it('keeps signing with still-valid credentials when a refresh fails, and retries on the next call', async () => {
    const time = new FakeTime();
    const p = countingProvider(time, 60 * 60_000);
    const get = cachedCredentials(p.provider, { clock: time.clock, refreshBeforeMs: 5 * 60_000 });
    await get();
    await time.advance(57 * 60_000);
    p.setFailing(true);
    expect((await get()).accessKeyId).toBe('AKID1');
    p.setFailing(false);
    expect((await get()).accessKeyId).toBe('AKID3');
  });

  it('fails with AWS_CREDENTIALS_UNAVAILABLE when nothing valid is left', async () => {
    const time = new FakeTime();
    const p = countingProvider(time, 60 * 60_000);
    p.setFailing(true);
    const get = cachedCredentials(p.provider, { clock: time.clock });
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).code).toBe('AWS_CREDENTIALS_UNAVAILABLE');
  });

  it('asks a provider that threw synchronously again on the next call (no failed fetch is kept)', async () => {
    let calls = 0;
    const get = cachedCredentials(() => {
      calls++;
      if (calls === 1) throw new Error('no metadata endpoint yet');
      return Promise.resolve({ accessKeyId: 'AKIDLATER', secretAccessKey: 's' });
    });
    await expect(get()).rejects.toMatchObject({ code: 'AWS_CREDENTIALS_UNAVAILABLE' });
    expect(await get()).toMatchObject({ accessKeyId: 'AKIDLATER' });
    expect(calls).toBe(2);
  });
});

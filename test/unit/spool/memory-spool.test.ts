import { openMemorySpool, openSpool } from '../../../src/spool/index.js';
import { spoolContract } from './spool-contract.js';
import { describe, expect, it } from 'vitest';

spoolContract('memory spool', { open: (options) => openMemorySpool(options), cleanup: () => undefined });

describe('openSpool({ memory: true })', () => {
  it('opens the memory spool without touching the filesystem', async () => {
    const spool = await openSpool({ memory: true });
    expect(await spool.append(Buffer.from('x'))).toBe(1);
    expect(spool.stats().fdatasyncs).toBe(0);
    await spool.close();
  });
});

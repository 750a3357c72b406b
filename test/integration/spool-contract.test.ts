/** The spool contract suite run against the disk spool: real files, real fsync. */
import { openDiskSpool } from '../../src/spool/index.js';
import { TempDirs } from '../unit/spool/helpers.js';
import { spoolContract } from '../unit/spool/spool-contract.js';

const dirs = new TempDirs();
spoolContract('disk spool', {
  open: (options) => openDiskSpool({ ...options, dir: dirs.make() }),
  cleanup: () => dirs.cleanup(),
});
// The same contract with scans served only from the files (no tail cache), and from a tail cache
// small enough that a scanning reader keeps falling behind it.
spoolContract('disk spool, tail cache off', {
  open: (options) => openDiskSpool({ ...options, dir: dirs.make(), tailCacheBytes: 0 }),
  cleanup: () => dirs.cleanup(),
});
spoolContract('disk spool, 300-byte tail cache', {
  open: (options) => openDiskSpool({ ...options, dir: dirs.make(), tailCacheBytes: 300 }),
  cleanup: () => dirs.cleanup(),
});

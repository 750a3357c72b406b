/** The spool contract suite run against the disk spool: real files, real fsync. */
import { openDiskSpool } from '../../src/spool/index.js';
import { TempDirs } from '../unit/spool/helpers.js';
import { spoolContract } from '../unit/spool/spool-contract.js';

const dirs = new TempDirs();
spoolContract('disk spool', {
  open: (options) => openDiskSpool({ ...options, dir: dirs.make() }),
  cleanup: () => dirs.cleanup(),
});

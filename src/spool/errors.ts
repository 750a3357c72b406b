/** Spool errors: each has a stable code (SPEC.md §10) and a message that says what to change. */
import { InvalidInputError, KedgeError } from '../core/errors.js';

export class SpoolFullError extends KedgeError {
  constructor(message: string) {
    super('SPOOL_FULL', message);
  }
}

export class SpoolLockedError extends KedgeError {
  readonly pid: number;

  constructor(dir: string, pid: number) {
    const who = pid === process.pid ? 'this process (close the other spool first)' : `process ${pid}`;
    super('SPOOL_LOCKED', `Spool directory ${dir} is in use by ${who}. Give each producer its own spool dir, or stop the other one.`);
    this.pid = pid;
  }
}

export class SpoolClosedError extends KedgeError {
  constructor(operation: string) {
    super('SPOOL_CLOSED', `Cannot ${operation}: the spool is closed. Open it again with openSpool().`);
  }
}

export class SpoolIoError extends KedgeError {
  constructor(message: string, cause: unknown) {
    super('SPOOL_IO', message, { cause });
  }
}

export class SpoolEntryTooLargeError extends InvalidInputError {
  constructor(message: string) {
    super('SPOOL_ENTRY_TOO_LARGE', message);
  }
}

export class SpoolOptionsError extends InvalidInputError {
  constructor(message: string) {
    super('SPOOL_OPTIONS', message);
  }
}

export class SpoolAckError extends InvalidInputError {
  constructor(message: string) {
    super('SPOOL_ACK_OUT_OF_RANGE', message);
  }
}

/**
 * Every error kedge raises on purpose is a KedgeError with a stable `code`: callers and scripts branch
 * on the code, people read the message, which says what to change.
 */
export class KedgeError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A value given by the user (flag, option, config field, record) is not acceptable. */
export class InvalidInputError extends KedgeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

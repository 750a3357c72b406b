/**
 * AWS-style input validation: model constraint violations are collected and reported together as one
 * `ValidationException` ("2 validation errors detected: Value 'x' at 'a.b' failed to satisfy constraint: ..."),
 * the way AWS's front end reports them; semantic problems are thrown at once as InvalidArgumentException.
 */
import { ServiceError, validationError } from '../server/service-error.js';

export class Violations {
  private readonly messages: string[] = [];

  add(value: unknown, path: string, constraint: string): void {
    this.messages.push(`Value ${show(value)} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  required(value: unknown, path: string): boolean {
    if (value === undefined || value === null) {
      this.messages.push(`Value null at '${path}' failed to satisfy constraint: Member must not be null`);
      return false;
    }
    return true;
  }

  string(value: unknown, path: string, min: number, max: number, pattern?: RegExp): value is string {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'string') {
      this.add(value, path, 'Member must be a string');
      return false;
    }
    let ok = true;
    if (value.length < min) {
      this.add(value, path, `Member must have length greater than or equal to ${min}`);
      ok = false;
    }
    if (value.length > max) {
      this.add(value, path, `Member must have length less than or equal to ${max}`);
      ok = false;
    }
    if (pattern && !pattern.test(value)) {
      this.add(value, path, `Member must satisfy regular expression pattern: ${pattern.source.replace(/^\^|\$$/g, '')}`);
      ok = false;
    }
    return ok;
  }

  integer(value: unknown, path: string, min: number, max: number): value is number {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(value, path, 'Member must be an integer');
      return false;
    }
    if (value < min) {
      this.add(value, path, `Member must have value greater than or equal to ${min}`);
      return false;
    }
    if (value > max) {
      this.add(value, path, `Member must have value less than or equal to ${max}`);
      return false;
    }
    return true;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): value is T {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.add(value, path, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
      return false;
    }
    return true;
  }

  /** Throws the collected violations, if any, as one ValidationException. */
  throwIfAny(): void {
    if (this.messages.length === 0) return;
    const n = this.messages.length;
    throw validationError(`${n} validation error${n === 1 ? '' : 's'} detected: ${this.messages.slice(0, 10).join('; ')}`);
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 100 ? `${value.slice(0, 100)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `'${String(value)}'`;
  return "'[object]'";
}

/** Throws a SerializationException unless `value` is a plain JSON object (the body may be anything). */
export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ServiceError('SerializationException', `Expected ${what} to be a JSON object.`);
  }
  return value as Record<string, unknown>;
}

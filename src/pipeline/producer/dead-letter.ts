/**
 * The dead-letter file: records that can never be delivered, one JSON object per line, with the
 * reason. Written (and fdatasync'ed) before the records are acknowledged in the spool, so a crash
 * between the two repeats a line rather than losing a record.
 *
 *   {"time":"2026-01-01T00:00:00.000Z","destination":"Kinesis stream s","reason":"...","code":"ResourceNotFoundException",
 *    "seq":42,"partitionKey":"dev-1","explicitHashKey":"…","acceptedAt":"…","attempts":3,"data":"<base64>"}
 *
 * Rare path: JSON here is fine.
 */
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { PendingRecord } from './pending.js';

export interface DeadLetterLine {
  readonly time: string;
  readonly destination: string;
  readonly reason: string;
  readonly code: string;
  readonly seq: number;
  readonly partitionKey?: string;
  readonly explicitHashKey?: string;
  readonly acceptedAt: string;
  readonly attempts: number;
  /** The record's data, base64. */
  readonly data: string;
}

/** Where dead-lettered records go. `write` resolves once they are durable. */
export interface DeadLetterSink {
  /** The file path, or undefined when records are only reported in the event (memory spool without a path). */
  readonly path: string | undefined;
  write(records: readonly PendingRecord[], reason: string, code: string): Promise<DeadLetterLine[]>;
  close(): Promise<void>;
}

export function deadLetterLines(records: readonly PendingRecord[], destination: string, reason: string, code: string, nowMs: number): DeadLetterLine[] {
  const time = new Date(nowMs).toISOString();
  return records.map((record) => ({
    time,
    destination,
    reason,
    code,
    seq: record.seq,
    ...(record.partitionKey !== '' ? { partitionKey: record.partitionKey } : {}),
    ...(record.explicitHashKey !== undefined ? { explicitHashKey: record.explicitHashKey } : {}),
    acceptedAt: new Date(record.acceptedAtMs).toISOString(),
    attempts: record.attempts,
    data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString('base64'),
  }));
}

export class DeadLetterFile implements DeadLetterSink {
  #handle: FileHandle | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly destination: string,
    private readonly clock: Clock,
  ) {}

  write(records: readonly PendingRecord[], reason: string, code: string): Promise<DeadLetterLine[]> {
    const lines = deadLetterLines(records, this.destination, reason, code, this.clock.now());
    const run = this.#chain.then(() => this.#append(lines));
    this.#chain = run.catch(() => undefined);
    return run.then(() => lines);
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  async #append(lines: readonly DeadLetterLine[]): Promise<void> {
    if (this.#handle === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.#handle = await open(this.path, 'a');
    }
    const text = lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
    await this.#handle.write(text);
    await this.#handle.datasync();
  }
}

/** For a memory spool without a dead-letter path: nothing is written; the event carries the lines. */
export class ReportOnlyDeadLetters implements DeadLetterSink {
  readonly path = undefined;

  constructor(
    private readonly destination: string,
    private readonly clock: Clock,
  ) {}

  write(records: readonly PendingRecord[], reason: string, code: string): Promise<DeadLetterLine[]> {
    return Promise.resolve(deadLetterLines(records, this.destination, reason, code, this.clock.now()));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A streams service driven directly (no HTTP), with a manual clock and a scripted RNG. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Clock, Rng } from '../../../../src/core/clock.js';
import { ServiceError } from '../../../../src/ingest/server/service-error.js';
import type { OperationContext } from '../../../../src/ingest/server/types.js';
import { openStreamsService, type StreamsService, type StreamsServiceOptions } from '../../../../src/ingest/streams/service.js';

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

export class ManualClock implements Clock {
  constructor(public ms = T0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Returns the given values in order, then fails loudly (a test that draws more than it scripted is wrong). */
export function scriptedRng(values: number[]): Rng {
  let i = 0;
  return {
    next() {
      if (i >= values.length) throw new Error(`scripted RNG exhausted after ${values.length} draws`);
      return values[i++]!;
    },
  };
}

export const neverRng: Rng = { next: () => 0.5 };

export interface Harness {
  readonly service: StreamsService;
  readonly clock: ManualClock;
  call(op: string, input?: unknown, region?: string): Promise<any>;
  /** Expects `op` to fail with the AWS error `type`; returns the error for more checks. */
  fail(op: string, input: unknown, type: string, message?: RegExp | string): Promise<ServiceError>;
}

export async function harness(options: Partial<StreamsServiceOptions> & { clock?: ManualClock } = {}): Promise<Harness> {
  const clock = options.clock ?? new ManualClock();
  const service = await openStreamsService({
    clock,
    rng: neverRng,
    limits: false,
    faultRate: 0,
    accountId: ACCOUNT,
    region: REGION,
    ...options,
  });
  const ctx = (region: string): OperationContext => ({ requestId: 'req-1', region, accountId: ACCOUNT, now: clock.now() });
  const call = async (op: string, input: unknown = {}, region = REGION): Promise<any> => {
    const operation = service.operations[op];
    if (!operation) throw new Error(`no operation ${op}`);
    // A JSON round trip, as the server would hand the body over.
    const result = await operation(JSON.parse(JSON.stringify(input)), ctx(region));
    // An operation may answer with JSON it serialized itself (GetRecords does), as the server allows.
    return result instanceof Uint8Array ? JSON.parse(Buffer.from(result).toString('utf8')) : JSON.parse(JSON.stringify(result ?? {}));
  };
  const fail = async (op: string, input: unknown, type: string, message?: RegExp | string): Promise<ServiceError> => {
    let caught: unknown;
    try {
      await call(op, input);
    } catch (err) {
      caught = err;
    }
    expect(caught, `${op} should fail with ${type}`).toBeInstanceOf(ServiceError);
    const err = caught as ServiceError;
    expect(err.type).toBe(type);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else if (message) expect(err.message).toMatch(message);
    return err;
  };
  return { service, clock, call, fail };
}

export const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
export const unb64 = (data: string): string => Buffer.from(data, 'base64').toString('utf8');

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'kedge-streams-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Reads a shard from TRIM_HORIZON to its current end; returns the records and the last response. */
export async function readAll(h: Harness, streamName: string, shardId: string): Promise<{ records: any[]; last: any }> {
  let { ShardIterator: iterator } = await h.call('GetShardIterator', { StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' });
  const records: any[] = [];
  for (;;) {
    const out = await h.call('GetRecords', { ShardIterator: iterator });
    records.push(...out.Records);
    if (!out.NextShardIterator || out.Records.length === 0) return { records, last: out };
    iterator = out.NextShardIterator;
  }
}

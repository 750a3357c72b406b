/**
 * The lean load generator's process (forked by ingest-lean-load.ts, never run by hand): sends pre-built
 * PutRecords bodies and a bare GetShardIterator/GetRecords loop as plain HTTP/1.1 keep-alive requests, as told
 * over IPC, and reports what each slice did. It runs in its own process so its (small) CPU cost is not in the
 * server's, and it exits as soon as the bench that forked it goes away.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { describeError, type SliceReport } from './ingest-driver.js';
import { countRecords, failedRecordCount, jsonRequest, lastStringValue, putRecordsPool, type PreparedRequest } from './ingest-lean-requests.js';
import type { LeanCommand, LeanReply } from './ingest-lean-load.js';
import { runClosedLoop } from './load.js';

interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

/** One keep-alive POST; the per-request invocation id is the only header built per request, as the SDK does. */
function post(agent: Agent, endpoint: URL, request: PreparedRequest, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        hostname: endpoint.hostname,
        port: endpoint.port,
        method: 'POST',
        path: '/',
        headers: { ...request.headers, 'amz-sdk-invocation-id': randomUUID() },
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

const errorOf = (answer: Answer): string => `HTTP ${answer.status}: ${answer.body.toString('utf8', 0, 200)}`;

/** Per target: its connections and, for GetRecords, where each shard's reader stands. */
interface TargetState {
  readonly endpoint: URL;
  readonly agent: Agent;
  sent: number;
  iterators: Array<string | undefined> | null;
}

interface Counts {
  records: number;
  bytes: number;
  failures: number;
  firstError: string | undefined;
}

const report = (c: Counts, outcome: { completed: number; abandoned: number; seconds: number }): SliceReport => ({
  records: c.records,
  bytes: c.bytes,
  failures: c.failures,
  completed: outcome.completed,
  abandoned: outcome.abandoned,
  seconds: outcome.seconds,
  ...(c.firstError !== undefined ? { firstError: c.firstError } : {}),
});

function main(): void {
  const targets = new Map<string, TargetState>();
  let pool: PreparedRequest[] = [];
  let stream = '';
  let recordsPerRequest = 0;
  let recordBytes = 0;
  const now = new Date();

  const target = (url: string, concurrency: number): TargetState => {
    let t = targets.get(url);
    if (!t) {
      t = { endpoint: new URL(url), agent: new Agent({ keepAlive: true, maxSockets: concurrency }), sent: 0, iterators: null };
      targets.set(url, t);
    }
    return t;
  };

  async function put(t: TargetState, concurrency: number, maxRequests: number, maxMs: number, graceMs: number): Promise<SliceReport> {
    const c: Counts = { records: 0, bytes: 0, failures: 0, firstError: undefined };
    const first = t.sent;
    const outcome = await runClosedLoop({ concurrency, maxOperations: maxRequests, maxMs, graceMs }, async (i, signal) => {
      try {
        const answer = await post(t.agent, t.endpoint, pool[(first + i) % pool.length]!, signal);
        const failed = answer.status === 200 ? failedRecordCount(answer.body) : undefined;
        if (failed === undefined) throw new Error(errorOf(answer));
        c.records += recordsPerRequest - failed;
        c.bytes += (recordsPerRequest - failed) * recordBytes;
        c.failures += failed;
      } catch (err) {
        if (signal.aborted) throw err; // cut off by the hard bound: neither acknowledged nor failed
        c.failures += recordsPerRequest;
        c.firstError ??= `PutRecords: ${describeError(err)}`;
      }
    });
    t.sent += outcome.completed + outcome.abandoned;
    return report(c, outcome);
  }

  async function startIterators(t: TargetState, shardIds: readonly string[]): Promise<Array<string | undefined>> {
    const signal = AbortSignal.timeout(30_000);
    return Promise.all(
      shardIds.map(async (ShardId) => {
        const answer = await post(t.agent, t.endpoint, jsonRequest('GetShardIterator', { StreamName: stream, ShardId, ShardIteratorType: 'TRIM_HORIZON' }, now), signal);
        const iterator = answer.status === 200 ? lastStringValue(answer.body, 'ShardIterator') : undefined;
        if (iterator === undefined) throw new Error(`GetShardIterator: ${errorOf(answer)}`);
        return iterator;
      }),
    );
  }

  async function get(t: TargetState, shardIds: readonly string[], limit: number, maxMs: number, graceMs: number): Promise<SliceReport> {
    const c: Counts = { records: 0, bytes: 0, failures: 0, firstError: undefined };
    t.iterators ??= await startIterators(t, shardIds);
    const its = t.iterators;
    if (its.every((it) => it === undefined)) return report(c, { completed: 0, abandoned: 0, seconds: 0 });
    const stopStarting = performance.now() + maxMs;
    const outcome = await runClosedLoop({ concurrency: its.length, maxOperations: its.length, maxMs: maxMs + graceMs }, async (shard, signal) => {
      while (its[shard] !== undefined && performance.now() < stopStarting) {
        try {
          // Built per request: the iterator changes every time (a few hundred bytes; nothing next to the answer).
          const answer = await post(t.agent, t.endpoint, jsonRequest('GetRecords', { ShardIterator: its[shard], Limit: limit }, now), signal);
          if (answer.status !== 200) throw new Error(errorOf(answer));
          const got = countRecords(answer.body);
          c.records += got.records;
          c.bytes += got.bytes;
          its[shard] = got.records === 0 ? undefined : lastStringValue(answer.body, 'NextShardIterator');
        } catch (err) {
          if (signal.aborted) throw err;
          c.failures++;
          c.firstError ??= `GetRecords: ${describeError(err)}`;
          its[shard] = undefined;
        }
      }
    });
    return report(c, outcome);
  }

  async function handle(command: LeanCommand): Promise<LeanReply> {
    switch (command.kind) {
      case 'init':
        stream = command.stream;
        recordsPerRequest = command.recordsPerRequest;
        recordBytes = command.recordBytes;
        pool = putRecordsPool(command.stream, command.poolSize, command.recordsPerRequest, command.recordBytes, now);
        return { id: command.id };
      case 'put':
        return { id: command.id, report: await put(target(command.url, command.concurrency), command.concurrency, command.maxRequests, command.maxMs, command.graceMs) };
      case 'get':
        return { id: command.id, report: await get(target(command.url, command.concurrency), command.shardIds, command.limit, command.maxMs, command.graceMs) };
      case 'forget':
        targets.get(command.url)?.agent.destroy();
        targets.delete(command.url);
        return { id: command.id };
    }
  }

  process.on('message', (command: LeanCommand) => {
    handle(command).then(
      (reply) => process.send?.(reply),
      (err: unknown) => process.send?.({ id: command.id, error: describeError(err) } satisfies LeanReply),
    );
  });
  // The bench went away (finished, crashed or was killed): nothing left to do.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ id: 0 } satisfies LeanReply);
}

main();

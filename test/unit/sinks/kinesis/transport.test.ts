/**
 * The Kinesis sink's service part against the real ingest target on 127.0.0.1 (no mocks): per-entry
 * outcomes, the response-count check, the request timeout, ListShards paging and errors as the
 * retry classifier sees them.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterEach, describe, expect, it } from 'vitest';
import { mayHaveBeenStored } from '../../../../src/pipeline/producer/results.js';
import { classifyError } from '../../../../src/retry/classify.js';
import { KinesisTransport, readOutcomes } from '../../../../src/sinks/kinesis/index.js';
import { seededRng } from '../../../helpers/seeded-rng.js';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION, type TestTarget } from '../../../helpers/target.js';
import { waitForActive } from '../../../peers/differential.js';

let target: TestTarget | undefined;
let silent: Server | undefined;
const sockets = new Set<Socket>();
const transports: KinesisTransport[] = [];

afterEach(async () => {
  for (const t of transports.splice(0)) t.destroy();
  await target?.close();
  target = undefined;
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  silent = undefined;
});

function transport(url: string, streamName: string, extra: { requestTimeoutMs?: number; http1?: boolean } = {}): KinesisTransport {
  const t = new KinesisTransport({
    streamName,
    aws: { endpoint: url, region: TEST_REGION, credentials: TEST_CREDENTIALS, ...(extra.http1 ? { requestHandler: new NodeHttpHandler() } : {}) },
    ...(extra.requestTimeoutMs !== undefined ? { requestTimeoutMs: extra.requestTimeoutMs } : {}),
  });
  transports.push(t);
  return t;
}

async function stream(t: TestTarget, name: string, shards: number): Promise<void> {
  await t.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitForActive(t.kinesis, name);
}

describe('Kinesis transport', () => {
  it('reports every entry of a PutRecords in request order: stored on a shard, or failed with the service code', async () => {
    target = await startTestTarget({ memory: true, limits: false, faultRate: 0.4, rng: seededRng(1) });
    await stream(target, 's', 2);
    const entries = Array.from({ length: 200 }, (_, i) => ({ data: Buffer.from(`r${i}`), partitionKey: `k${i}`, explicitHashKey: undefined }));
    const outcomes = await transport(target.url, 's').send(entries);
    expect(outcomes).toHaveLength(200);
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed.length).toBeGreaterThan(20);
    for (const o of failed) expect(['InternalFailure', 'ProvisionedThroughputExceededException']).toContain(o.ok ? '' : o.errorCode);
    for (const o of outcomes) if (o.ok) expect(o.shardId).toMatch(/^shardId-\d{12}$/);

    // What the target stored is exactly the entries reported ok.
    const stored: string[] = [];
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
      const it = await target.kinesis.send(new GetShardIteratorCommand({ StreamName: 's', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
      const got = await target.kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
      for (const r of got.Records ?? []) stored.push(Buffer.from(r.Data!).toString());
    }
    expect(stored.sort()).toEqual(entries.filter((_, i) => outcomes[i]!.ok).map((e) => e.data.toString()).sort());
  });

  it('refuses a response whose entry count differs from the request (SINK_RESPONSE_MISMATCH), which retries as transient', () => {
    const error = (() => {
      try {
        readOutcomes(3, [{ SequenceNumber: '1', ShardId: 'shardId-000000000000' }]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'SINK_RESPONSE_MISMATCH' });
    expect(classifyError(error).errorClass).toBe('transient');
    expect(readOutcomes(1, [{}])).toEqual([{ ok: false, errorCode: 'InternalFailure', errorMessage: expect.any(String) }]);
  });

  it('reads a stored entry whose ErrorCode is JSON null (kinesis-local) as stored, not as failed', () => {
    expect(readOutcomes(2, [{ SequenceNumber: '1', ShardId: 'shardId-000000000001', ErrorCode: null, ErrorMessage: null }, { SequenceNumber: null, ErrorCode: 'InternalFailure', ErrorMessage: null }])).toEqual([
      { ok: true, shardId: 'shardId-000000000001' },
      { ok: false, errorCode: 'InternalFailure', errorMessage: '' },
    ]);
  });

  for (const [path, http1] of [
    ['our signed request', false],
    ['the SDK client with a caller-given request handler', true],
  ] as const) {
    it(`aborts a request that gets no answer within requestTimeoutMs, as a transient timeout (duplicates possible): ${path}`, async () => {
      silent = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', () => resolve()));
      const port = (silent.address() as { port: number }).port;
      const t = transport(`http://127.0.0.1:${port}`, 's', { requestTimeoutMs: 200, http1 });
      const error = await t.send([{ data: Buffer.from('x'), partitionKey: 'k', explicitHashKey: undefined }]).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'SINK_REQUEST_TIMEOUT', message: expect.stringContaining('200 ms') });
      const classification = classifyError(error);
      expect(classification.errorClass).toBe('transient');
      expect(classification.isTimeout).toBe(true);
    });
  }

  it('answers a service error on our signed request exactly as the SDK client would: same name, fault and HTTP status', async () => {
    target = await startTestTarget({ memory: true, limits: false });
    const entry = [{ data: Buffer.from('x'), partitionKey: 'k', explicitHashKey: undefined }];
    const direct = await transport(target.url, 'nope').send(entry).catch((e: unknown) => e);
    const viaSdk = await transport(target.url, 'nope', { http1: true }).send(entry).catch((e: unknown) => e);
    const shape = (e: unknown): unknown => {
      const error = e as { name: string; $fault: string; $metadata: { httpStatusCode: number }; message: string };
      return { name: error.name, fault: error.$fault, status: error.$metadata.httpStatusCode, message: error.message };
    };
    expect(shape(direct)).toEqual(shape(viaSdk));
    expect(shape(direct)).toMatchObject({ name: 'ResourceNotFoundException', fault: 'client', status: 400 });
  });

  it('reports a refused connection on our signed request as a network error that never reached the service', async () => {
    silent = createServer();
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    await new Promise<void>((resolve) => silent!.close(() => resolve()));
    silent = undefined;
    const error = await transport(`http://127.0.0.1:${port}`, 's').send([{ data: Buffer.from('x'), partitionKey: 'k', explicitHashKey: undefined }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(classifyError(error).errorClass).toBe('transient');
    expect(mayHaveBeenStored(error, classifyError(error))).toBe(false);
  });

  it('lists only the open shards after a split, and a missing stream is a configuration error', async () => {
    target = await startTestTarget({ memory: true, limits: false });
    await stream(target, 'split', 2);
    await target.kinesis.send(new SplitShardCommand({ StreamName: 'split', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (1n << 126n).toString() }));
    await waitForActive(target.kinesis, 'split');
    const shards = await transport(target.url, 'split').listShards();
    const open = shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined).map((s) => s.ShardId);
    expect(open.sort()).toEqual(['shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003']);

    const missing = await transport(target.url, 'nope').send([{ data: Buffer.from('x'), partitionKey: 'k', explicitHashKey: undefined }]).catch((e: unknown) => e);
    expect(classifyError(missing)).toMatchObject({ errorClass: 'configuration', code: 'ResourceNotFoundException' });
  });
});

import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { b64, listObjects, makeDir, openHarness, s3Stream, type Harness } from './harness.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:transform';

/**
 * A real handler module: upper-cases records, drops "drop", fails "fail", and for "forget" leaves a record out of
 * its answer (a contract violation). It also records each event it saw in globalThis for the test to inspect.
 */
const HANDLER = `
export async function handler(event, context) {
  (globalThis.__firehoseEvents ??= []).push({ event, functionName: context.functionName });
  const records = [];
  for (const r of event.records) {
    const text = Buffer.from(r.data, 'base64').toString();
    if (text === 'forget') continue;
    if (text === 'drop') records.push({ recordId: r.recordId, result: 'Dropped' });
    else if (text === 'fail') records.push({ recordId: r.recordId, result: 'ProcessingFailed', data: r.data });
    else if (text === 'throw') throw new Error('boom');
    else records.push({ recordId: r.recordId, result: 'Ok', data: Buffer.from(text.toUpperCase() + '\\n').toString('base64') });
  }
  return { records };
}
`;

function processing(extra: Array<{ ParameterName: string; ParameterValue: string }> = []): Record<string, unknown> {
  return { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: ARN }, ...extra] }] };
}

async function moduleHarness(): Promise<Harness> {
  const dir = await makeDir();
  const path = join(dir, `handler-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(path, HANDLER);
  return openHarness({ dir, removeDir: true, lambdas: { [ARN]: path } });
}

const events = (): Array<{ event: any; functionName: string }> => ((globalThis as any).__firehoseEvents ??= []);

let h: Harness;
let server: Server | undefined;
afterEach(async () => {
  await h?.close();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
  (globalThis as any).__firehoseEvents = [];
});

describe('data transformation with a Lambda module', () => {
  it("delivers Ok records as transformed, drops Dropped ones, and sends AWS's event", async () => {
    h = await moduleHarness();
    await h.call('CreateDeliveryStream', s3Stream('t', { ProcessingConfiguration: processing() }));
    const put = await h.call('PutRecordBatch', { DeliveryStreamName: 't', Records: [{ Data: b64('hello') }, { Data: b64('drop') }, { Data: b64('world') }] });
    await h.advance(60_000);
    const objects = await listObjects(h.s3Dir, 'bucket');
    expect(objects.map((o) => o.body.toString())).toEqual(['HELLO\nWORLD\n']);
    const { event, functionName } = events()[0]!;
    expect(functionName).toBe('transform');
    expect(event).toEqual({
      invocationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      deliveryStreamArn: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/t',
      region: 'us-east-1',
      records: put.RequestResponses.map((r: { RecordId: string }, i: number) => ({
        recordId: r.RecordId,
        approximateArrivalTimestamp: Date.UTC(2026, 10, 25, 21, 30, 5, 123),
        data: b64(['hello', 'drop', 'world'][i]!),
      })),
    });
  });

  it('writes ProcessingFailed records to processing-failed/ in the AWS error format, with the raw data', async () => {
    h = await moduleHarness();
    await h.call('CreateDeliveryStream', s3Stream('f', { ProcessingConfiguration: processing() }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'f', Records: [{ Data: b64('ok') }, { Data: b64('fail') }] });
    await h.advance(60_000);
    const objects = await listObjects(h.s3Dir, 'bucket');
    const failed = objects.find((o) => o.key.startsWith('processing-failed/'))!;
    expect(failed.key).toMatch(/^processing-failed\/2026\/11\/25\/21\/f-1-2026-11-25-21-30-05-/);
    const line = JSON.parse(failed.body.toString());
    expect(Object.keys(line)).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData', 'lambdaArn']);
    expect(line).toMatchObject({ attemptsMade: 1, errorCode: 'Lambda.ProcessingFailed', rawData: b64('fail'), lambdaArn: ARN });
    expect(objects.find((o) => !o.key.startsWith('processing-failed/'))!.body.toString()).toBe('OK\n');
  });

  it('fails the whole invocation as Lambda.MissingRecordId when the answer leaves a recordId out', async () => {
    h = await moduleHarness();
    await h.call('CreateDeliveryStream', s3Stream('m', { ProcessingConfiguration: processing(), ErrorOutputPrefix: 'err/' }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'm', Records: [{ Data: b64('fine') }, { Data: b64('forget') }] });
    await h.advance(60_000);
    const objects = await listObjects(h.s3Dir, 'bucket');
    expect(objects).toHaveLength(1);
    expect(objects[0]!.key).toMatch(/^err\/processing-failed\/2026\/11\/25\/21\//);
    const lines = objects[0]!.body.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.errorCode, Buffer.from(l.rawData, 'base64').toString()])).toEqual([
      ['Lambda.MissingRecordId', 'fine'],
      ['Lambda.MissingRecordId', 'forget'],
    ]);
  });

  it('retries a failing invocation NumberOfRetries times, then records Lambda.FunctionError', async () => {
    h = await moduleHarness();
    await h.call('CreateDeliveryStream', s3Stream('r', { ProcessingConfiguration: processing([{ ParameterName: 'NumberOfRetries', ParameterValue: '2' }]) }));
    await h.call('PutRecord', { DeliveryStreamName: 'r', Record: { Data: b64('throw') } });
    await h.advance(60_000);
    expect(events()).toHaveLength(3);
    const [object] = await listObjects(h.s3Dir, 'bucket');
    expect(JSON.parse(object!.body.toString())).toMatchObject({ attemptsMade: 3, errorCode: 'Lambda.FunctionError', errorMessage: expect.stringContaining('boom') });
  });

  it('splits a large buffer into invocations of at most the processor buffer size', async () => {
    h = await moduleHarness();
    await h.call(
      'CreateDeliveryStream',
      s3Stream('chunks', { ProcessingConfiguration: processing([{ ParameterName: 'BufferSizeInMBs', ParameterValue: '1' }]), BufferingHints: { SizeInMBs: 3, IntervalInSeconds: 60 } }),
    );
    const records = Array.from({ length: 4 }, () => ({ Data: b64(Buffer.alloc(600 * 1024, 'a')) }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'chunks', Records: records });
    await h.advance(60_000);
    expect(events().map((e) => e.event.records.length)).toEqual([1, 1, 1, 1]);
  });

  it('appends a newline with the AppendDelimiterToRecord processor', async () => {
    h = await openHarness();
    await h.call('CreateDeliveryStream', s3Stream('nl', { ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] } }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'nl', Records: [{ Data: b64('a') }, { Data: b64('b') }] });
    await h.advance(60_000);
    expect((await listObjects(h.s3Dir, 'bucket')).map((o) => o.body.toString())).toEqual(['a\nb\n']);
  });
});

describe('data transformation with an HTTP handler', () => {
  async function httpHandler(answer: (event: any) => { status: number; body: unknown }): Promise<{ url: string; seen: any[] }> {
    const seen: any[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const event = JSON.parse(Buffer.concat(chunks).toString());
        seen.push(event);
        const { status, body } = answer(event);
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/fn`, seen };
  }

  it('POSTs the event and uses the JSON answer: Ok, Dropped and ProcessingFailed', async () => {
    const results = ['Ok', 'Dropped', 'ProcessingFailed'];
    const fn = await httpHandler((event) => ({
      status: 200,
      body: { records: event.records.map((r: any, i: number) => ({ recordId: r.recordId, result: results[i], data: b64(`<${Buffer.from(r.data, 'base64')}>`) })) },
    }));
    h = await openHarness({ lambdas: { [ARN]: fn.url } });
    await h.call('CreateDeliveryStream', s3Stream('web', { ProcessingConfiguration: processing() }));
    await h.call('PutRecordBatch', { DeliveryStreamName: 'web', Records: [{ Data: b64('x') }, { Data: b64('y') }, { Data: b64('z') }] });
    await h.advance(60_000);
    expect(fn.seen).toHaveLength(1);
    const objects = await listObjects(h.s3Dir, 'bucket');
    expect(objects.find((o) => !o.key.startsWith('processing-failed/'))!.body.toString()).toBe('<x>');
    const failed = JSON.parse(objects.find((o) => o.key.startsWith('processing-failed/'))!.body.toString());
    expect(failed).toMatchObject({ errorCode: 'Lambda.ProcessingFailed', rawData: b64('z') });
  });

  it('treats answers that break the contract as failures: unknown id, duplicate id, bad result, data that is not base64', async () => {
    const fn = await httpHandler((event) => {
      const [a, b] = event.records;
      switch (fn.seen.length) {
        case 1:
          return { status: 200, body: { records: [{ recordId: 'nope', result: 'Ok', data: '' }, { recordId: b.recordId, result: 'Ok', data: '' }] } };
        case 2:
          return { status: 200, body: { records: [{ recordId: a.recordId, result: 'Ok', data: '' }, { recordId: a.recordId, result: 'Ok', data: '' }] } };
        default:
          return { status: 200, body: { records: [{ recordId: a.recordId, result: 'Maybe', data: '' }, { recordId: b.recordId, result: 'Ok', data: '!!not base64!!' }] } };
      }
    });
    h = await openHarness({ lambdas: { [ARN]: fn.url } });
    await h.call('CreateDeliveryStream', s3Stream('contract', { ProcessingConfiguration: processing() }));
    const codes: string[][] = [];
    for (let i = 0; i < 3; i++) {
      await h.call('PutRecordBatch', { DeliveryStreamName: 'contract', Records: [{ Data: b64('a') }, { Data: b64('b') }] });
      await h.advance(60_000);
    }
    for (const o of await listObjects(h.s3Dir, 'bucket')) codes.push(o.body.toString().trim().split('\n').map((l) => JSON.parse(l).errorCode));
    expect(codes.flat().sort()).toEqual(
      ['Lambda.JsonProcessingException', 'Lambda.JsonProcessingException', 'Lambda.DuplicatedRecordId', 'Lambda.DuplicatedRecordId', 'Lambda.JsonProcessingException', 'Lambda.JsonProcessingException'].sort(),
    );
  });

  it('retries an HTTP handler that answers 500, then delivers its answer', async () => {
    const fn = await httpHandler((event) =>
      fn.seen.length === 1 ? { status: 500, body: 'oops' } : { status: 200, body: { records: event.records.map((r: any) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) } },
    );
    h = await openHarness({ lambdas: { [ARN]: fn.url } });
    await h.call('CreateDeliveryStream', s3Stream('again', { ProcessingConfiguration: processing() }));
    await h.call('PutRecord', { DeliveryStreamName: 'again', Record: { Data: b64('kept') } });
    await h.advance(60_000);
    expect(fn.seen).toHaveLength(2);
    expect(fn.seen[0].invocationId).toBe(fn.seen[1].invocationId);
    expect((await listObjects(h.s3Dir, 'bucket')).map((o) => o.body.toString())).toEqual(['kept']);
  });
});

/**
 * What put() takes (Buffer, Uint8Array, string, JSON value; partitionKey, explicitHashKey) and what it
 * refuses at once, with a stable code and a message naming the limit. Also the spool envelope.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer, type Producer, type ProducerOptions } from '../../../src/index.js';
import { decodeEnvelope, encodeEnvelope } from '../../../src/pipeline/producer/envelope.js';
import type { EntryOutcome, SinkEntry, SinkTransport } from '../../../src/pipeline/producer/transport.js';
import { FakeKinesis } from './helpers.js';

const producers: Producer[] = [];
afterEach(async () => {
  for (const producer of producers.splice(0)) await producer.close({ timeoutMs: 0 });
});

async function kinesisProducer(options: Partial<ProducerOptions> = {}, transport = new FakeKinesis()): Promise<Producer> {
  const producer = await createProducer({ sink: { type: 'kinesis', streamName: 'telemetry', rateLimit: false }, transport, ...options });
  producers.push(producer);
  return producer;
}

class FakeFirehose implements SinkTransport {
  readonly kind = 'firehose' as const;
  readonly requests: Buffer[][] = [];
  describe(): string {
    return 'Firehose delivery stream fake';
  }
  send(entries: readonly SinkEntry[]): Promise<EntryOutcome[]> {
    this.requests.push(entries.map((e) => Buffer.from(e.data)));
    return Promise.resolve(entries.map(() => ({ ok: true as const })));
  }
  destroy(): void {}
}

describe('put() refuses records no sink could take', () => {
  it('refuses a Kinesis record over 1 MiB including its partition key with RECORD_TOO_LARGE, naming the limit', async () => {
    const producer = await kinesisProducer();
    const data = Buffer.alloc(1024 * 1024 - 3);
    await expect(producer.put(data, { partitionKey: 'abcd' })).rejects.toMatchObject({
      code: 'RECORD_TOO_LARGE',
      message: expect.stringContaining('at most 1048576 bytes including its partition key'),
    });
    // The same data with a 3-byte key fits exactly.
    await expect(producer.put(data, { partitionKey: 'abc' })).resolves.toBeUndefined();
    expect(producer.stats().rejected).toEqual({ RECORD_TOO_LARGE: 1 });
  });

  it('refuses a partition key of 0 or more than 256 characters with PARTITION_KEY_INVALID', async () => {
    const producer = await kinesisProducer();
    await expect(producer.put('x', { partitionKey: '' })).rejects.toMatchObject({ code: 'PARTITION_KEY_INVALID', message: expect.stringContaining('1–256') });
    await expect(producer.put('x', { partitionKey: 'k'.repeat(257) })).rejects.toMatchObject({ code: 'PARTITION_KEY_INVALID', message: expect.stringContaining('got 257') });
    await expect(producer.put('x', { partitionKey: 'k'.repeat(256) })).resolves.toBeUndefined();
  });

  it('refuses an explicit hash key outside [0, 2^128 − 1] or not in decimal with EXPLICIT_HASH_KEY_INVALID', async () => {
    const producer = await kinesisProducer();
    const max = ((1n << 128n) - 1n).toString();
    await expect(producer.put('x', { partitionKey: 'k', explicitHashKey: (1n << 128n).toString() })).rejects.toMatchObject({
      code: 'EXPLICIT_HASH_KEY_INVALID',
      message: expect.stringContaining(max),
    });
    await expect(producer.put('x', { partitionKey: 'k', explicitHashKey: '-1' })).rejects.toMatchObject({ code: 'EXPLICIT_HASH_KEY_INVALID' });
    await expect(producer.put('x', { partitionKey: 'k', explicitHashKey: '0x10' })).rejects.toMatchObject({ code: 'EXPLICIT_HASH_KEY_INVALID' });
    await expect(producer.put('x', { partitionKey: 'k', explicitHashKey: max })).resolves.toBeUndefined();
  });

  it('refuses values with no bytes or JSON form with RECORD_DATA_INVALID', async () => {
    const producer = await kinesisProducer();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(producer.put(undefined as unknown as string)).rejects.toMatchObject({ code: 'RECORD_DATA_INVALID' });
    await expect(producer.put((() => 1) as unknown as string)).rejects.toMatchObject({ code: 'RECORD_DATA_INVALID' });
    await expect(producer.put(circular)).rejects.toMatchObject({ code: 'RECORD_DATA_INVALID', message: expect.stringContaining('JSON') });
    await expect(producer.put({ big: 1n } as unknown as object)).rejects.toMatchObject({ code: 'RECORD_DATA_INVALID' });
  });

  it('refuses a Firehose record over 1,000 KiB (not 1 MiB) with RECORD_TOO_LARGE', async () => {
    const producer = await createProducer({ sink: { type: 'firehose', deliveryStreamName: 'logs' }, transport: new FakeFirehose() });
    producers.push(producer);
    await expect(producer.put(Buffer.alloc(1000 * 1024 + 1))).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE', message: expect.stringContaining('1024000') });
    await expect(producer.put(Buffer.alloc(1000 * 1024))).resolves.toBeUndefined();
  });

  it('refuses bad options with PRODUCER_OPTIONS and a message naming the option', async () => {
    await expect(createProducer({ sink: { type: 'kinesis', streamName: 'has space' } })).rejects.toMatchObject({ code: 'PRODUCER_OPTIONS', message: expect.stringContaining('sink.streamName') });
    await expect(createProducer({ sink: { type: 'sqs' } as unknown as ProducerOptions['sink'] })).rejects.toMatchObject({ code: 'PRODUCER_OPTIONS' });
    await expect(
      createProducer({ sink: { type: 'kinesis', streamName: 's' }, transport: new FakeKinesis(), maxInFlightRequests: 0 }).then((p) => p.close()),
    ).rejects.toMatchObject({ code: 'PRODUCER_OPTIONS', message: expect.stringContaining('maxInFlightRequests') });
  });
});

describe('put() takes', () => {
  it('Buffers, Uint8Arrays, strings and JSON values, and sends their bytes', async () => {
    const kinesis = new FakeKinesis();
    const producer = await kinesisProducer({ sink: { type: 'kinesis', streamName: 'telemetry', aggregate: false, rateLimit: false } }, kinesis);
    await producer.put(Buffer.from('buffer'), { partitionKey: 'a' });
    await producer.put(new Uint8Array([0x75, 0x38]), { partitionKey: 'b' });
    await producer.put('strïng', { partitionKey: 'c' });
    await producer.put({ t: 21.5, ok: true }, { partitionKey: 'd' });
    await producer.put([1, 2], { partitionKey: 'e' });
    await producer.flush();
    expect(kinesis.storedData().sort()).toEqual(['buffer', 'u8', 'strïng', '{"t":21.5,"ok":true}', '[1,2]'].sort());
  });

  it('a random partition key per record when none is given, spreading records over the shards', async () => {
    const kinesis = new FakeKinesis();
    const producer = await kinesisProducer({ sink: { type: 'kinesis', streamName: 'telemetry', aggregate: false, rateLimit: false } }, kinesis);
    await Promise.all(Array.from({ length: 200 }, (_, i) => producer.put(`r${i}`)));
    await producer.flush();
    expect(new Set(kinesis.stored.map((r) => r.partitionKey)).size).toBe(200);
    expect(new Set(kinesis.stored.map((r) => r.shardId)).size).toBe(4);
  });

  it('Firehose with newlineDelimited: a newline after each JSON value, none added to bytes or text', async () => {
    const firehose = new FakeFirehose();
    const producer = await createProducer({ sink: { type: 'firehose', deliveryStreamName: 'logs', newlineDelimited: true }, transport: firehose });
    producers.push(producer);
    await producer.put({ a: 1 });
    await producer.put('raw text');
    await producer.put(Buffer.from('bytes\n'));
    await producer.flush();
    expect(firehose.requests.flat().map((b) => b.toString()).sort()).toEqual(['{"a":1}\n', 'bytes\n', 'raw text'].sort());
  });

  it("Firehose with newlineDelimited 'always': every record ends with exactly one newline", async () => {
    const firehose = new FakeFirehose();
    const producer = await createProducer({ sink: { type: 'firehose', deliveryStreamName: 'logs', newlineDelimited: 'always' }, transport: firehose });
    producers.push(producer);
    await Promise.all([producer.put('one'), producer.put('two\n'), producer.put({ n: 3 })]);
    await producer.flush();
    expect(firehose.requests.flat().map((b) => b.toString()).sort()).toEqual(['one\n', 'two\n', '{"n":3}\n'].sort());
  });

  it('Firehose batches hold at most 500 records and 4 MiB', async () => {
    const firehose = new FakeFirehose();
    const producer = await createProducer({ sink: { type: 'firehose', deliveryStreamName: 'logs' }, transport: firehose, lingerMs: 1000 });
    producers.push(producer);
    await Promise.all(Array.from({ length: 1200 }, (_, i) => producer.put(`line ${i}`)));
    await Promise.all(Array.from({ length: 12 }, () => producer.put(Buffer.alloc(900 * 1024, 0x61))));
    await producer.flush();
    for (const request of firehose.requests) {
      expect(request.length).toBeLessThanOrEqual(500);
      expect(request.reduce((sum, b) => sum + b.length, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
    }
    expect(firehose.requests.flat()).toHaveLength(1212);
  });
});

describe('the spool envelope', () => {
  it('round-trips data, partition key, explicit hash key and acceptance time without JSON', () => {
    const data = Buffer.from([0, 1, 2, 255]);
    const envelope = encodeEnvelope(data, data.length, false, 'clé-ü', Buffer.byteLength('clé-ü'), '340282366920938463463374607431768211455', 1_767_225_600_123);
    expect(envelope.length).toBe(9 + Buffer.byteLength('clé-ü') + 1 + 39 + 4);
    const decoded = decodeEnvelope(envelope);
    expect(decoded).toMatchObject({ partitionKey: 'clé-ü', explicitHashKey: '340282366920938463463374607431768211455', acceptedAtMs: 1_767_225_600_123 });
    expect(Buffer.from(decoded.data)).toEqual(data);
    expect(decodeEnvelope(encodeEnvelope(data, data.length, false, '', 0, undefined, 5))).toMatchObject({ partitionKey: '', explicitHashKey: undefined, acceptedAtMs: 5 });
    const text = decodeEnvelope(encodeEnvelope('tëxt', 6, true, 'k', 1, undefined, 5));
    expect(text.data.toString()).toBe('tëxt\n');
  });

  it('refuses an entry of an unknown version or with lengths past its end (SPOOL_ENVELOPE_INVALID)', () => {
    expect(() => decodeEnvelope(Buffer.from('{"json":true}'))).toThrow(expect.objectContaining({ code: 'SPOOL_ENVELOPE_INVALID' }));
    const cut = encodeEnvelope(Buffer.from('x'), 1, false, 'a-long-key', 10, undefined, 1).subarray(0, 12);
    expect(() => decodeEnvelope(cut)).toThrow(expect.objectContaining({ code: 'SPOOL_ENVELOPE_INVALID' }));
  });
});

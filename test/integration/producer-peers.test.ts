/**
 * The producer against the two independent Kinesis implementations, kinesalite and kinesis-local,
 * over HTTP/1.1: the same read-back checks as against our target, once with PutRecords as our own
 * signed request (the default) and once through the SDK client (a caller-given `requestHandler`;
 * neither peer speaks reliable h2c). They enforce no throughput limits, so this is about the wire
 * format, ListShards and the aggregates as someone else's server stores them.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from '../../src/index.js';
import { kinesisClient, TEST_CREDENTIALS, TEST_REGION } from '../peers/clients.js';
import { startKinesalite } from '../peers/kinesalite.js';
import { startKinesisLocal } from '../peers/kinesis-local.js';
import type { RunningPeer } from '../peers/peer.js';
import { createStream, inKeyOrder, readStream, tally } from './producer-helpers.js';

const peers: Array<{ name: string; start: () => Promise<RunningPeer> }> = [
  { name: 'kinesalite', start: () => startKinesalite() },
  { name: 'kinesis-local', start: () => startKinesisLocal() },
];

for (const { name, start } of peers) {
  describe(`producer → ${name}`, () => {
    let peer: RunningPeer;
    let client: KinesisClient;

    beforeAll(async () => {
      peer = await start();
      client = kinesisClient(peer.url, { http: '1.1', maxAttempts: 3 });
    });

    afterAll(async () => {
      client?.destroy();
      await peer?.close();
    });

    for (const path of ['our signed request', 'the SDK client'] as const) {
    it(`every accepted record is read back exactly once, de-aggregated with checksums, each inside its shard, in per-key order (${path})`, async () => {
      const stream = path === 'the SDK client' ? 'peer-telemetry-sdk' : 'peer-telemetry';
      await createStream(client, stream, 3);
      const handler = new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 8 }) });
      const producer = await createProducer({
        sink: { type: 'kinesis', streamName: stream, rateLimit: false },
        aws: { endpoint: peer.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, ...(path === 'the SDK client' ? { requestHandler: handler } : {}) },
        ordering: 'per-key',
      });
      const sent: string[] = [];
      try {
        for (let i = 0; i < 3000; i++) {
          const key = `sensor-${i % 64}`;
          const data = `${key}:${String(i).padStart(5, '0')}:${'y'.repeat(i % 97)}`;
          sent.push(data);
          void producer.put(data, { partitionKey: key });
        }
        await producer.flush();
        expect(producer.stats().shards).toBe(3);
      } finally {
        await producer.close({ timeoutMs: 0 });
      }
      const back = await readStream(client, stream);
      expect(back.outOfRange).toEqual([]);
      expect(back.kinesisRecords).toBeLessThan(300);
      const counts = tally(back.records.map((r) => r.data));
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect([...counts.keys()].sort()).toEqual(sent.sort());
      expect(inKeyOrder(back.records)).toBe(true);
    });
    }
  });
}

/**
 * AWS SDK clients pointed at a local peer. Every peer gets the same settings so comparisons are fair; HTTP/1.1
 * (NodeHttpHandler) is the common ground because kinesalite speaks only HTTP/1.1 and kinesis-local's h2c is
 * unreliable (reference/ingest.md §0.1, §2). The default client (HTTP/2) is used for our target only.
 */
import { Agent } from 'node:http';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export const TEST_REGION = 'us-east-1';
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDKEDGETEST', secretAccessKey: 'kedge-test-secret-key' } as const;

export interface ClientOptions {
  /** '1.1' forces NodeHttpHandler; '2' keeps the SDK's default (h2c with prior knowledge on http://). */
  readonly http: '1.1' | '2';
  /** SDK attempts per call; 1 shows each server answer as it is (no retry of 500s or throttles). */
  readonly maxAttempts?: number;
  /** Sockets per origin for HTTP/1.1; bounds the concurrency a load generator can reach. */
  readonly maxSockets?: number;
}

function http1Handler(maxSockets: number): NodeHttpHandler {
  return new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets }) });
}

export function kinesisClient(url: string, options: ClientOptions): KinesisClient {
  return new KinesisClient({
    endpoint: url,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.http === '1.1' ? { requestHandler: http1Handler(options.maxSockets ?? 50) } : {}),
  });
}

export function firehoseClient(url: string, options: Omit<ClientOptions, 'http'> = {}): FirehoseClient {
  return new FirehoseClient({
    endpoint: url,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    maxAttempts: options.maxAttempts ?? 1,
  });
}

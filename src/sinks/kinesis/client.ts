/**
 * The Kinesis SDK client a sink builds around the application's request handler (the only case in
 * which it sends through an SDK client it made). The producer owns retries (classification, backoff,
 * budget and partial-failure handling live in retry/ and the sender), so the SDK makes one attempt per
 * call, as KPL builds its native client with retryCount 0 (reference/kds.md §2.5): two retry layers
 * would multiply each other's attempts and hide throttles from the rate limiter.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { defaultCredentials, regionFor, type AwsClientOptions } from './aws-options.js';

export type { AwsClientOptions } from './aws-options.js';

export function createKinesisClient(options: AwsClientOptions = {}): KinesisClient {
  const region = regionFor(options);
  return new KinesisClient({
    ...(region !== undefined ? { region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    credentials: options.credentials ?? defaultCredentials(options.endpoint),
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.requestHandler !== undefined ? { requestHandler: options.requestHandler } : {}),
  });
}

/**
 * The Firehose SDK client a sink builds around the application's request handler: one SDK attempt per
 * call, the producer retries (see sinks/kinesis/client.ts for why), with the region and credential
 * defaults of sinks/kinesis/aws-options.ts.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { defaultCredentials, regionFor, type AwsClientOptions } from '../kinesis/aws-options.js';

export function createFirehoseClient(options: AwsClientOptions = {}): FirehoseClient {
  const region = regionFor(options);
  return new FirehoseClient({
    ...(region !== undefined ? { region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    credentials: options.credentials ?? defaultCredentials(options.endpoint),
    maxAttempts: options.maxAttempts ?? 1,
    ...(options.requestHandler !== undefined ? { requestHandler: options.requestHandler } : {}),
  });
}

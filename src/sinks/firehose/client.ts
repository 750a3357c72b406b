/**
 * The one Firehose client a sink uses: one SDK attempt per call, the producer retries (see
 * sinks/kinesis/client.ts for why), with the region, credential defaults of sinks/kinesis/aws-options.ts and the keep-alive handler of
 * sinks/kinesis/sdk-request-handler.ts.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { defaultCredentials, regionFor, type AwsClientOptions } from '../kinesis/aws-options.js';
import { keepAliveHandler } from '../kinesis/sdk-request-handler.js';

export function createFirehoseClient(options: AwsClientOptions = {}): FirehoseClient {
  const region = regionFor(options);
  return new FirehoseClient({
    ...(region !== undefined ? { region } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    credentials: options.credentials ?? defaultCredentials(options.endpoint),
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: options.requestHandler ?? keepAliveHandler(options.maxSockets),
  });
}

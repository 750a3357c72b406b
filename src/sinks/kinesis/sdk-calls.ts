/**
 * PutRecords and ListShards through an AWS SDK Kinesis client: the path a producer takes when the
 * application hands it its own client or an SDK request handler. Imported only then, so that the
 * default path (our own signed requests, direct-client.ts) never loads the SDK client.
 */
import { ListShardsCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { HttpRequest } from '@smithy/protocol-http';
import type { ListShardsInput, ListShardsOutput } from './list-shards.js';
import { putRecordsBody } from './put-records-body.js';
import { readOutcomes, type KinesisEntryOutcome, type KinesisPutEntry, type PutRecordsTarget } from './put-records.js';
import { withRequestTimeout } from './request-timeout.js';

export async function putRecordsWithSdk(
  client: KinesisClient,
  target: PutRecordsTarget,
  entries: readonly KinesisPutEntry[],
  signal?: AbortSignal,
): Promise<KinesisEntryOutcome[]> {
  // The SDK serializes an empty Records list (cheap) and the middleware below swaps in our body before
  // the request is signed: the SDK still resolves the endpoint, signs, sends and parses the answer.
  const body = putRecordsBody(target.streamName, entries);
  const command = new PutRecordsCommand({ StreamName: target.streamName, Records: [] });
  command.middlewareStack.add(
    (next) => (args) => {
      if (HttpRequest.isInstance(args.request)) {
        args.request.body = body;
        args.request.headers['content-length'] = String(body.length);
      }
      return next(args);
    },
    { step: 'build', priority: 'high', name: 'kedgePutRecordsBody' },
  );
  const output = await withRequestTimeout('PutRecords', target.requestTimeoutMs, signal, (abortSignal) => client.send(command, { abortSignal }));
  return readOutcomes(entries.length, output.Records ?? []);
}

export function listShardsPageWithSdk(client: KinesisClient, input: ListShardsInput, timeoutMs: number, signal?: AbortSignal): Promise<ListShardsOutput> {
  const command = new ListShardsCommand(input);
  return withRequestTimeout('ListShards', timeoutMs, signal, (abortSignal) => client.send(command, { abortSignal }));
}

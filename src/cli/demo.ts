/**
 * `kedge demo` (what `npm start` runs): the local ingest target, persisting to ./.kedge/ingest, with a demo
 * data stream and a demo delivery stream created through the real AWS SDK clients against itself, and
 * instructions for pointing the SDK and the AWS CLI at it. Runs until SIGINT/SIGTERM.
 */
import { FirehoseClient, CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { join } from 'node:path';
import { INGEST_FLAGS_USAGE } from '../config/ingest-flags.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION, type IngestTarget } from '../ingest/target.js';
import { createCliLogger, parseFlagsOrExplain, startOrExplain, targetOptions, untilStopSignal } from './ingest.js';

export const DEMO_STREAM = 'kedge-demo';
export const DEMO_SHARDS = 2;
export const DEMO_DELIVERY_STREAM = 'kedge-demo-delivery';
export const DEMO_BUCKET = 'kedge-demo-bucket';

const DEMO_USAGE = `usage: kedge demo [options]

Starts the local ingest target (persisting to ./.kedge/ingest unless told otherwise) with the data stream
'${DEMO_STREAM}' (${DEMO_SHARDS} shards) and the delivery stream '${DEMO_DELIVERY_STREAM}' (to S3 bucket
'${DEMO_BUCKET}'), and prints how to point the AWS SDK and CLI at it.

${INGEST_FLAGS_USAGE}`;

export async function demoCommand(argv: string[]): Promise<number> {
  const flags = parseFlagsOrExplain('demo', argv);
  if (typeof flags === 'number') return flags;
  if (flags.help) {
    process.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  const logger = createCliLogger(flags.logLevel);
  const target = await startOrExplain('demo', targetOptions(flags, logger));
  if (target === undefined) return 1;
  const stopped = untilStopSignal();
  try {
    const credentials = flags.auth[0] ?? { accessKeyId: 'local', secretAccessKey: 'local' };
    await createDemoResources(target.url, credentials);
    process.stdout.write(`kedge demo listening on ${target.url}\n${instructions(target, credentials)}`);
  } catch (err) {
    await target.close();
    throw err;
  }
  await stopped;
  await target.close();
  return 0;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Creates the demo stream and delivery stream unless a previous run (same data dir) already did. */
export async function createDemoResources(endpoint: string, credentials: Credentials): Promise<void> {
  const common = { endpoint, region: DEFAULT_REGION, credentials };
  const kinesis = new KinesisClient(common);
  const firehose = new FirehoseClient(common);
  try {
    if (!(await exists(() => kinesis.send(new DescribeStreamSummaryCommand({ StreamName: DEMO_STREAM }))))) {
      await kinesis.send(new CreateStreamCommand({ StreamName: DEMO_STREAM, ShardCount: DEMO_SHARDS }));
      await waitUntilStreamExists({ client: kinesis, maxWaitTime: 60 }, { StreamName: DEMO_STREAM });
    }
    if (!(await exists(() => firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: DEMO_DELIVERY_STREAM }))))) {
      await firehose.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: DEMO_DELIVERY_STREAM,
          DeliveryStreamType: 'DirectPut',
          ExtendedS3DestinationConfiguration: {
            BucketARN: `arn:aws:s3:::${DEMO_BUCKET}`,
            RoleARN: `arn:aws:iam::${DEFAULT_ACCOUNT_ID}:role/kedge-demo-firehose`,
          },
        }),
      );
    }
  } finally {
    kinesis.destroy();
    firehose.destroy();
  }
}

async function exists(describe: () => Promise<unknown>): Promise<boolean> {
  try {
    await describe();
    return true;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return false;
    throw err;
  }
}

function instructions(target: IngestTarget, credentials: Credentials): string {
  const { url } = target;
  const env = `AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${credentials.secretAccessKey} AWS_REGION=${DEFAULT_REGION}`;
  return `
  data stream      ${DEMO_STREAM} (${DEMO_SHARDS} shards)
  delivery stream  ${DEMO_DELIVERY_STREAM} -> ${join(target.s3Dir, DEMO_BUCKET)}/

AWS SDK for JavaScript v3:

  import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
  const kinesis = new KinesisClient({
    endpoint: '${url}',
    region: '${DEFAULT_REGION}',
    credentials: { accessKeyId: '${credentials.accessKeyId}', secretAccessKey: '${credentials.secretAccessKey}' },
  });
  await kinesis.send(new PutRecordCommand({
    StreamName: '${DEMO_STREAM}', PartitionKey: 'device-1', Data: new TextEncoder().encode('hello'),
  }));

AWS CLI:

  export ${env}
  aws --endpoint-url ${url} kinesis list-streams
  aws --endpoint-url ${url} firehose put-record --delivery-stream-name ${DEMO_DELIVERY_STREAM} \\
      --record '{"Data":"hello\\n"}'    # AWS CLI v2: add --cli-binary-format raw-in-base64-out

Stop with Ctrl-C.
`;
}

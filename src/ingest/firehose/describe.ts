/** DeliveryStreamDescription in AWS's shape (API_DeliveryStreamDescription), from a running delivery stream. */
import type { S3Location } from './config.js';
import type { DeliveryStream } from './delivery-stream.js';

const seconds = (ms: number): number => ms / 1000;

function s3Description(s3: S3Location): Record<string, unknown> {
  return {
    RoleARN: s3.roleArn,
    BucketARN: s3.bucketArn,
    ...(s3.prefix !== undefined ? { Prefix: s3.prefix } : {}),
    ...(s3.errorOutputPrefix !== undefined ? { ErrorOutputPrefix: s3.errorOutputPrefix } : {}),
    BufferingHints: { SizeInMBs: s3.sizeMiB, IntervalInSeconds: s3.intervalSeconds },
    CompressionFormat: s3.compression,
    EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    CloudWatchLoggingOptions: { Enabled: false },
  };
}

export function describeDeliveryStream(stream: DeliveryStream): Record<string, unknown> {
  const { config, stored } = stream;
  const d = config.destination;
  let destination: Record<string, unknown>;
  if (d.kind === 's3') {
    const s3 = s3Description(d.s3);
    // AWS describes an S3 destination in both shapes, whichever one created it.
    destination = {
      S3DestinationDescription: s3,
      ExtendedS3DestinationDescription: {
        ...s3,
        ProcessingConfiguration: config.processingConfiguration ?? { Enabled: false, Processors: [] },
        S3BackupMode: 'Disabled',
        ...(d.s3.customExtension ? { FileExtension: d.s3.customExtension } : {}),
      },
    };
  } else {
    destination = {
      HttpEndpointDestinationDescription: {
        // The access key is a secret: AWS never returns it.
        EndpointConfiguration: { Url: d.url, ...(d.name !== undefined ? { Name: d.name } : {}) },
        BufferingHints: { SizeInMBs: config.bufferSizeBytes / (1024 * 1024), IntervalInSeconds: config.bufferIntervalSeconds },
        CloudWatchLoggingOptions: { Enabled: false },
        RequestConfiguration: {
          ContentEncoding: d.contentEncoding,
          CommonAttributes: d.commonAttributes.map(([AttributeName, AttributeValue]) => ({ AttributeName, AttributeValue })),
        },
        ProcessingConfiguration: config.processingConfiguration ?? { Enabled: false, Processors: [] },
        ...(d.roleArn !== undefined ? { RoleARN: d.roleArn } : {}),
        RetryOptions: { DurationInSeconds: d.retryDurationSeconds },
        S3BackupMode: d.s3BackupMode,
        S3DestinationDescription: s3Description(d.s3),
      },
    };
  }
  const source = config.source
    ? { KinesisStreamSourceDescription: { KinesisStreamARN: config.source.streamArn, RoleARN: config.source.roleArn, DeliveryStartTimestamp: seconds(stored.createdAt) } }
    : undefined;
  return {
    DeliveryStreamName: config.name,
    DeliveryStreamARN: stream.arn,
    DeliveryStreamStatus: 'ACTIVE',
    DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
    DeliveryStreamType: config.type,
    VersionId: String(stored.versionId),
    CreateTimestamp: seconds(stored.createdAt),
    ...(source ? { Source: source } : {}),
    Destinations: [{ DestinationId: 'destinationId-000000000001', ...destination }],
    HasMoreDestinations: false,
  };
}

/**
 * The two awsJson1.1 services our sinks call with requests of their own, and how each is named: for
 * configured endpoints (AWS_ENDPOINT_URL_<ID>), in its endpoint host, in SigV4 scope and in the
 * X-Amz-Target header.
 */
export interface AwsJsonService {
  /** The SDK's service id, which names its configured-endpoint settings ('Kinesis' → AWS_ENDPOINT_URL_KINESIS). */
  readonly sdkId: string;
  /** First label of the AWS host name. */
  readonly endpointPrefix: string;
  /** The SigV4 signing name. */
  readonly signingName: string;
  /** X-Amz-Target is this plus the operation name. */
  readonly targetPrefix: string;
  /** In AWS GovCloud the regular Kinesis endpoint is the FIPS one, so FIPS without dual-stack keeps it. */
  readonly govCloudFipsIsRegular: boolean;
}

export const KINESIS_SERVICE: AwsJsonService = Object.freeze({
  sdkId: 'Kinesis',
  endpointPrefix: 'kinesis',
  signingName: 'kinesis',
  targetPrefix: 'Kinesis_20131202.',
  govCloudFipsIsRegular: true,
});

export const FIREHOSE_SERVICE: AwsJsonService = Object.freeze({
  sdkId: 'Firehose',
  endpointPrefix: 'firehose',
  signingName: 'firehose',
  targetPrefix: 'Firehose_20150804.',
  govCloudFipsIsRegular: false,
});

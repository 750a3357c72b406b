/**
 * Where the Kinesis sink's own requests go and who signs them, from the sink's AWS options: the region
 * and endpoint as @aws-sdk/client-kinesis resolves them for PutRecords and ListShards called with a
 * StreamName (test/unit/sinks/kinesis/location.test.ts compares with the SDK's resolver), and the
 * credentials given or the SDK's default chain.
 */
import { awsPartition } from '../../aws/partitions.js';
import { awsServiceUrl, parseEndpoint, type EndpointVariant } from '../../aws/endpoint.js';
import { configuredEndpointVariant, configuredRegion } from '../../aws/sdk-config.js';
import { defaultCredentials, regionFor, type AwsClientOptions } from './aws-options.js';
import type { DirectTarget, RequestCredentials } from './direct-client.js';

/** The region given (or the local one for a local target), else the SDK's; the endpoint given, else the AWS one. */
export async function locateKinesis(options: AwsClientOptions): Promise<DirectTarget> {
  const region = regionFor(options) ?? (await configuredRegion());
  const url = options.endpoint ?? kinesisUrl(region, await configuredEndpointVariant());
  return { endpoint: parseEndpoint(url), region };
}

/**
 * The Kinesis endpoint of a region. On top of the partition's naming, Kinesis has one rule of its own:
 * in AWS GovCloud the regular endpoint is the FIPS one, so FIPS without dual-stack keeps it.
 */
export function kinesisUrl(region: string, variant: EndpointVariant): string {
  const dualStack = variant.dualStack === true;
  const fips = variant.fips === true && (dualStack || awsPartition(region).id !== 'aws-us-gov');
  return awsServiceUrl('kinesis', region, { fips, dualStack });
}

/** The credentials to sign with: the ones given (fixed, or a provider), else the default chain. */
export function requestCredentials(options: AwsClientOptions): RequestCredentials {
  const given = options.credentials ?? defaultCredentials(options.endpoint);
  if (typeof given === 'function') return () => given();
  const fixed = Promise.resolve(given);
  return () => fixed;
}

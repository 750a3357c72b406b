/**
 * Where a sink's own requests go and who signs them, from the sink's AWS options: the region and
 * endpoint as @aws-sdk/client-kinesis and @aws-sdk/client-firehose resolve them (for Kinesis calls
 * made with a StreamName; test/unit/sinks/kinesis/location.test.ts compares with the SDKs' resolvers),
 * and the credentials given or the SDK's default chain, cached as the SDK caches them.
 */
import { cachedCredentials, lazyNodeProviderChain, toAwsCredentials, type CredentialProvider } from '../../aws/credentials.js';
import { awsPartition } from '../../aws/partitions.js';
import { awsServiceUrl, parseEndpoint, splitFipsRegion, type EndpointVariant } from '../../aws/endpoint.js';
import { configuredEndpointUrl, configuredEndpointVariant, configuredRegion } from '../../aws/sdk-config.js';
import { isLocalPlainHttp, LOCAL_REGION, withLocalFallback, type AwsClientOptions } from './aws-options.js';
import { DirectJsonClient, type DirectTarget } from './direct-client.js';
import type { AwsJsonService } from './services.js';

/**
 * The endpoint given, else one configured for the service (AWS_ENDPOINT_URL_KINESIS, ~/.aws/config), else
 * the region's AWS endpoint; the region given, else the one configured (as the SDK reads it), else, for
 * a local plain-HTTP target, us-east-1.
 * FIPS pseudo-regions ('fips-us-east-1') sign for the real region and ask for the FIPS endpoint. A
 * custom endpoint is used as it is (the SDK refuses FIPS or dual-stack settings with one; we ignore them).
 */
export async function locateService(service: AwsJsonService, options: AwsClientOptions): Promise<DirectTarget> {
  const endpoint = options.endpoint ?? (await configuredEndpointUrl(service.sdkId));
  const named = options.region ?? (await configuredRegion(isLocalPlainHttp(endpoint) ? LOCAL_REGION : undefined));
  const { region, fips } = splitFipsRegion(named);
  if (endpoint !== undefined) return { endpoint: parseEndpoint(endpoint), region };
  const variant = await configuredEndpointVariant();
  return { endpoint: parseEndpoint(serviceUrl(service, region, { fips: variant.fips || fips, dualStack: variant.dualStack })), region };
}

/** The service's AWS endpoint in a region: the partition's naming, and Kinesis's GovCloud FIPS rule. */
export function serviceUrl(service: AwsJsonService, region: string, variant: EndpointVariant): string {
  const dualStack = variant.dualStack === true;
  const fips = variant.fips === true && (dualStack || !service.govCloudFipsIsRegular || awsPartition(region).id !== 'aws-us-gov');
  return awsServiceUrl(service.endpointPrefix, region, { fips, dualStack });
}

/** A client for our own requests to `service`: one location lookup shared by the requests and the credential provider. */
export function directClientFor(service: AwsJsonService, options: AwsClientOptions, maxSockets: number): DirectJsonClient {
  let located: Promise<DirectTarget> | undefined;
  const locate = (): Promise<DirectTarget> =>
    (located ??= locateService(service, options).catch((error: unknown) => {
      located = undefined; // e.g. no region yet: resolved again on the next request
      throw error;
    }));
  const credentials = requestCredentials(options, locate);
  return new DirectJsonClient(service, locate, credentials, maxSockets);
}

/**
 * The credentials to sign with: the ones given (fixed, or a provider), else the default chain, which
 * falls back to fixed local credentials when the requests go to a local plain-HTTP target (given, or
 * configured with AWS_ENDPOINT_URL...). Kept until five minutes before they expire (for ever without an
 * expiration), as an SDK client keeps them: a provider may cost an instance-metadata call, an STS
 * AssumeRole or a process spawn, never per request. The region is handed to the provider as the SDK
 * hands its client's (`callerClientConfig`), so an assume-role or SSO profile calls STS in it.
 */
export function requestCredentials(options: AwsClientOptions, locate: () => Promise<DirectTarget>): CredentialProvider {
  const isLocal = async (): Promise<boolean> => {
    const { endpoint } = await locate();
    return isLocalPlainHttp(`${endpoint.protocol}//${endpoint.host}`);
  };
  const given = options.credentials ?? withLocalFallback(lazyNodeProviderChain(), isLocal);
  const region = async (): Promise<string> => (await locate()).region;
  const properties = { callerClientConfig: { region } };
  return cachedCredentials(async () => toAwsCredentials(typeof given === 'function' ? await given(properties) : given));
}

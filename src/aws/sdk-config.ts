/**
 * Region and endpoint flags resolved exactly as an AWS SDK v3 client resolves them (AWS_REGION, the
 * profile's `region` in ~/.aws/config or ~/.aws/credentials, AWS_USE_FIPS_ENDPOINT and
 * `use_fips_endpoint`, the dual-stack equivalents), by the SDK's own config loader, so they mean the
 * same to a kedge producer as to the AWS CLI on the same device.
 *
 * The loader is imported on first use only: a producer given its region and endpoint (every local
 * target, and most device configs) never loads it, and a producer that needs it loads that small part
 * of the SDK instead of a whole client (@aws-sdk/client-kinesis and its dependencies cost a
 * draining producer ≈ 20 MB of RSS).
 */
import { InvalidInputError } from '../core/errors.js';
import type { EndpointVariant } from './endpoint.js';

/** A configuration error (retry/classify.ts parks the data and reports it): a person has to set a region. */
export class RegionMissingError extends InvalidInputError {
  constructor(options?: { cause?: unknown }) {
    super(
      'AWS_REGION_MISSING',
      'No AWS region is configured: pass one (--region, or aws.region in the SDK), or set AWS_REGION, or `region` in the profile of ~/.aws/config.',
      options,
    );
  }
}

type ConfigModule = typeof import('@smithy/core/config');
let loading: Promise<ConfigModule> | undefined;
const configModule = (): Promise<ConfigModule> => (loading ??= import('@smithy/core/config'));

/** The region the SDK would use; RegionMissingError when there is none. */
export async function configuredRegion(): Promise<string> {
  const { loadConfig, NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS } = await configModule();
  try {
    const region = await loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS)();
    if (typeof region !== 'string' || region === '') throw new Error('empty region');
    return region;
  } catch (error) {
    throw new RegionMissingError({ cause: error });
  }
}

/** Whether the FIPS and dual-stack variants of an AWS endpoint are asked for (both false by default). */
export async function configuredEndpointVariant(): Promise<Required<EndpointVariant>> {
  const { loadConfig, NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS, NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS } = await configModule();
  const [fips, dualStack] = await Promise.all([
    loadConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS)(),
    loadConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS)(),
  ]);
  return { fips: fips === true, dualStack: dualStack === true };
}

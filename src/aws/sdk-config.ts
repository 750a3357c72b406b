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
const configModule = (): Promise<ConfigModule> =>
  (loading ??= import('@smithy/core/config').catch((error: unknown) => {
    loading = undefined; // tried again on the next call
    throw error;
  }));

/**
 * The region the SDK would use (AWS_REGION, the profile's `region`, then the instance's region from
 * instance metadata); RegionMissingError when there is none. With a `fallback` (a local target), that
 * is used instead of asking instance metadata, which off EC2 costs a connection timeout.
 */
export async function configuredRegion(fallback?: string): Promise<string> {
  const { loadConfig, NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS } = await configModule();
  const selectors = fallback === undefined ? NODE_REGION_CONFIG_OPTIONS : { ...NODE_REGION_CONFIG_OPTIONS, default: fallback };
  try {
    const region = await loadConfig(selectors, NODE_REGION_CONFIG_FILE_OPTIONS)();
    if (typeof region !== 'string' || region === '') throw new Error('empty region');
    return region;
  } catch (error) {
    throw new RegionMissingError({ cause: error });
  }
}

/**
 * The endpoint configured for a service outside the program, as the SDK reads it (`serviceId` as the
 * SDK names it, e.g. 'Kinesis'): AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, then the profile's
 * `services` section (`<service> = endpoint_url = ...`) or `endpoint_url`; none when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or `ignore_configured_endpoint_urls` is set.
 */
export async function configuredEndpointUrl(serviceId: string): Promise<string | undefined> {
  const { loadConfig, booleanSelector, SelectorType } = await configModule();
  const ignore = await loadConfig({
    environmentVariableSelector: (env) => booleanSelector(env, 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', SelectorType.ENV),
    configFileSelector: (profile) => booleanSelector(profile, 'ignore_configured_endpoint_urls', SelectorType.CONFIG),
    default: false,
  })();
  if (ignore === true) return undefined;
  const envSuffix = serviceId.split(' ').map((word) => word.toUpperCase()).join('_');
  const iniKey = serviceId.split(' ').map((word) => word.toLowerCase()).join('_');
  const url = await loadConfig<string | undefined>({
    environmentVariableSelector: (env) => env[`AWS_ENDPOINT_URL_${envSuffix}`] || env.AWS_ENDPOINT_URL || undefined,
    configFileSelector: (profile, file) => {
      const services = profile.services;
      if (services !== undefined) {
        const section = file?.[`services.${services}`];
        if (section === undefined) throw new Error(`The services section "${services}" named in the profile is not in the shared config file.`);
        const url = section[`${iniKey}.endpoint_url`];
        if (url !== undefined) return url;
      }
      return profile.endpoint_url;
    },
    default: undefined,
  })();
  return typeof url === 'string' && url !== '' ? url : undefined;
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

/**
 * Endpoint resolution for requests we make by hand: a service's AWS URL from a region (partition
 * suffixes, FIPS and dual-stack variants), and the parts of an endpoint URL (given by the user, or a data
 * endpoint from GetDataEndpoint) that a node:http(s) request needs.
 */
import { InvalidInputError } from '../core/errors.js';
import { awsPartition } from './partitions.js';

export interface ServiceEndpoint {
  /** 'https:' for AWS, 'http:' for a local target. */
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  /** What goes in the Host header (and is signed): hostname, plus `:port` when not the protocol default. */
  readonly host: string;
  /** The base path (usually '' ); request paths are appended to it. */
  readonly basePath: string;
}

/** Flags that pick a variant of a service's AWS endpoint (the SDK's `useFipsEndpoint` and `useDualstackEndpoint`). */
export interface EndpointVariant {
  readonly fips?: boolean;
  readonly dualStack?: boolean;
}

/**
 * The SDK's FIPS pseudo-regions ('fips-us-east-1', 'us-east-1-fips', 'fips-aws-global'): the region
 * they stand for, with FIPS asked for. Other names come back as they are.
 */
export function splitFipsRegion(name: string): { readonly region: string; readonly fips: boolean } {
  if (!name.startsWith('fips-') && !name.endsWith('-fips')) return { region: name, fips: false };
  const region = name === 'fips-aws-global' || name === 'aws-fips' ? 'us-east-1' : name.replace(/fips-(dkr-|prod-)?|-fips/, '');
  return { region, fips: true };
}

/** Refuses what is not a region name (it becomes part of a host name), with the fix in the message. */
export function checkRegionName(region: string): void {
  if (!/^[a-z]{2,}(-[a-z0-9]+)+-\d+$/.test(region)) {
    throw new InvalidInputError('AWS_INVALID_REGION', `"${region}" is not an AWS region name; use one like "eu-central-1".`);
  }
}

/**
 * `https://<prefix>[-fips].<region>.<suffix>`, the suffix from the region's partition (`amazonaws.com`,
 * `amazonaws.com.cn`, ..., or the partition's dual-stack suffix such as `api.aws`).
 */
export function awsServiceUrl(endpointPrefix: string, region: string, variant: EndpointVariant = {}): string {
  checkRegionName(region);
  const partition = awsPartition(region);
  const suffix = variant.dualStack === true ? partition.dualStackDnsSuffix : partition.dnsSuffix;
  return `https://${endpointPrefix}${variant.fips === true ? '-fips' : ''}.${region}.${suffix}`;
}

/** Splits an endpoint URL such as `https://s-96607c7a.kinesisvideo.eu-central-1.amazonaws.com`. */
export function parseEndpoint(url: string): ServiceEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new InvalidInputError('AWS_INVALID_ENDPOINT', `"${url}" is not a URL; give an endpoint like https://host[:port].`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidInputError('AWS_INVALID_ENDPOINT', `Endpoint "${url}" must use http: or https:.`);
  }
  const protocol = parsed.protocol;
  const defaultPort = protocol === 'https:' ? 443 : 80;
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return {
    protocol,
    hostname,
    port,
    host: parsed.port === '' ? parsed.hostname : `${parsed.hostname}:${parsed.port}`,
    basePath: parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/$/, ''),
  };
}

/**
 * Endpoint resolution for requests we make by hand. The SDK clients resolve their own endpoints; these
 * helpers cover the control-plane URL we hand to them when the user gives only a region, and the parts of a
 * data endpoint (from GetDataEndpoint) that a node:http(s) request needs.
 */
import { InvalidInputError } from '../core/errors.js';

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

/** `https://<prefix>.<region>.amazonaws.com` (`.amazonaws.com.cn` in China, `.api.aws` for dual-stack). */
export function awsServiceUrl(endpointPrefix: string, region: string, options: { dualStack?: boolean } = {}): string {
  if (!/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region)) {
    throw new InvalidInputError('AWS_INVALID_REGION', `"${region}" is not an AWS region name; use one like "eu-central-1".`);
  }
  const china = region.startsWith('cn-');
  const suffix = options.dualStack ? (china ? 'api.amazonwebservices.com.cn' : 'api.aws') : china ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${endpointPrefix}.${region}.${suffix}`;
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

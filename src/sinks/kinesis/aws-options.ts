/**
 * How a sink reaches AWS or a local target, shared by the Kinesis and Firehose sinks: options, and the
 * region and credential defaults. Nothing of the AWS SDK is loaded here (types only): both sinks send
 * their requests themselves, and the credential chain is imported when first asked.
 */
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { lazyNodeProviderChain } from '../../aws/credentials.js';

/** Per request, unless the producer says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How a sink reaches AWS (or a local target). Everything is optional: the SDK's defaults apply. */
export interface AwsClientOptions {
  /** Default: the SDK's resolution (AWS_REGION, config files); `us-east-1` for a plain-HTTP local endpoint. */
  readonly region?: string;
  /** e.g. `http://127.0.0.1:4567` for `kedge ingest`. Default: the AWS endpoint of the region (TLS). */
  readonly endpoint?: string;
  /** Default: the node provider chain of @aws-sdk/credential-providers (see {@link defaultCredentials}). */
  readonly credentials?: KinesisClientConfig['credentials'];
  /**
   * An SDK request handler. Given one, a sink sends through an SDK client built with it (and destroys
   * it with the client) instead of its own requests over HTTP/1.1 keep-alive connections.
   */
  readonly requestHandler?: KinesisClientConfig['requestHandler'];
  /** Keep-alive connections to the endpoint, for a sink's own requests (default 8). */
  readonly maxSockets?: number;
  /** SDK attempts per call, where an SDK client sends. Default 1: the producer retries, with its own budget. */
  readonly maxAttempts?: number;
}

/** What a local target is signed for when no region is given or configured (a local target accepts any). */
export const LOCAL_REGION = 'us-east-1';
/** Signs requests to a local plain-HTTP target when no real credentials exist; it accepts any signature. */
const LOCAL_CREDENTIALS: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string; readonly expiration?: Date } = Object.freeze({
  accessKeyId: 'KEDGELOCAL',
  secretAccessKey: 'kedge-local-target',
});

/** True for `http://` endpoints on loopback: a local target (kedge ingest, kinesalite), never AWS. */
export function isLocalPlainHttp(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  try {
    const url = new URL(endpoint);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

/**
 * The default credential chain (environment, shared files, SSO, container and instance metadata), loaded
 * on first use. For a plain-HTTP loopback endpoint the chain falls back to fixed local credentials, so
 * that `kedge put --endpoint http://127.0.0.1:4567` works on a machine with no AWS setup at all.
 */
export function defaultCredentials(endpoint: string | undefined): NonNullable<KinesisClientConfig['credentials']> {
  const chain = lazyNodeProviderChain();
  if (!isLocalPlainHttp(endpoint)) return chain;
  return withLocalFallback(chain, () => Promise.resolve(true));
}

/** `provider`, or the fixed local credentials when it finds none and `isLocal()` says the endpoint is a local target. */
export function withLocalFallback<P, C>(provider: (properties?: P) => Promise<C>, isLocal: () => Promise<boolean>): (properties?: P) => Promise<C | typeof LOCAL_CREDENTIALS> {
  return async (properties) => {
    try {
      return await provider(properties);
    } catch (error) {
      if (await isLocal()) return LOCAL_CREDENTIALS;
      throw error;
    }
  };
}

/** The region given, or the local one for a local target; undefined: the SDK's resolution (see aws/sdk-config.ts). */
export function regionFor(options: AwsClientOptions): string | undefined {
  return options.region ?? (isLocalPlainHttp(options.endpoint) ? LOCAL_REGION : undefined);
}


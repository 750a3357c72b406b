/**
 * AWS credentials for hand-made requests (PutMedia) and for the SDK clients, from one provider function.
 *
 * The default is the SDK's node provider chain (environment, shared files, SSO, container and instance
 * metadata). `cachedCredentials` wraps any provider so that long-running sessions sign with credentials
 * that still have `refreshBeforeMs` to live: PutMedia signs once per connection and then streams for up
 * to 40 minutes, so a token that expires mid-connection is what produced "connection duration reached"
 * reports on the C producer (kvs.md §5.9).
 */
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { KedgeError } from '../core/errors.js';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When these credentials stop working; absent for long-term keys. */
  readonly expiration?: Date;
}

/** Returns credentials; called again whenever the cached ones are about to expire. */
export type CredentialProvider = () => Promise<AwsCredentials>;

export class CredentialsError extends KedgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('AWS_CREDENTIALS_UNAVAILABLE', message, options);
  }
}

export interface CachedCredentialsOptions {
  clock?: Clock;
  /** Fetch fresh credentials when the cached ones expire within this many ms (default 5 minutes). */
  refreshBeforeMs?: number;
}

/**
 * Caches a provider's credentials until `refreshBeforeMs` before they expire. Concurrent callers share one
 * fetch. If a refresh fails while the cached credentials are still valid, the cached ones are returned (the
 * next call tries again), so a flaky metadata endpoint does not stop a stream that can still sign.
 */
export function cachedCredentials(provider: CredentialProvider, options: CachedCredentialsOptions = {}): CredentialProvider {
  const clock = options.clock ?? systemClock;
  const refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  let cached: AwsCredentials | undefined;
  let inflight: Promise<AwsCredentials> | undefined;

  const needsRefresh = (c: AwsCredentials | undefined): boolean =>
    c === undefined || (c.expiration !== undefined && c.expiration.getTime() - clock.now() <= refreshBeforeMs);
  const stillValid = (c: AwsCredentials | undefined): c is AwsCredentials =>
    c !== undefined && (c.expiration === undefined || c.expiration.getTime() > clock.now());

  const fetchFresh = async (): Promise<AwsCredentials> => {
    try {
      const fresh = await provider();
      cached = fresh;
      return fresh;
    } catch (error) {
      if (stillValid(cached)) return cached;
      throw new CredentialsError(
        'Could not load AWS credentials: set them in the sink options, the environment, ~/.aws, or an instance role.',
        { cause: error },
      );
    }
  };

  return async () => {
    if (!needsRefresh(cached)) return cached!;
    // Cleared in a later microtask, after the assignment: a provider that throws synchronously would
    // otherwise settle (and clear) before it, leaving a settled promise here for good.
    inflight ??= fetchFresh().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
}

/** What the SDK's providers return (a subset of @smithy/types' AwsCredentialIdentity). */
type ChainCredentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };

/**
 * The SDK's node provider chain (`fromNodeProviderChain` of @aws-sdk/credential-providers), imported on
 * its first call: a producer given its keys, or one that talks to a local target, never loads the
 * providers (megabytes of modules on a device). The chain memoizes and refreshes its credentials itself.
 */
export function lazyNodeProviderChain(init: { profile?: string } = {}): (properties?: Record<string, unknown>) => Promise<ChainCredentials> {
  let chain: Promise<(properties?: Record<string, unknown>) => Promise<ChainCredentials>> | undefined;
  // `properties` carry `callerClientConfig` (the region an assume-role or SSO profile's STS call should use).
  return async (properties) => {
    chain ??= import('@aws-sdk/credential-providers').then(
      ({ fromNodeProviderChain }) => fromNodeProviderChain(init),
      (error: unknown) => {
        chain = undefined; // a failed import is tried again on the next call
        throw error;
      },
    );
    return (await chain)(properties);
  };
}

/** The SDK's default chain, cached with `cachedCredentials`. */
export function defaultCredentialProvider(options: CachedCredentialsOptions & { profile?: string } = {}): CredentialProvider {
  const chain = lazyNodeProviderChain(options.profile === undefined ? {} : { profile: options.profile });
  return cachedCredentials(async () => toAwsCredentials(await chain()), options);
}

/** An SDK identity (whose optional fields may be present but undefined) as our AwsCredentials. */
export function toAwsCredentials(c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined; expiration?: Date | undefined }): AwsCredentials {
  return {
    accessKeyId: c.accessKeyId,
    secretAccessKey: c.secretAccessKey,
    ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
    ...(c.expiration === undefined ? {} : { expiration: c.expiration }),
  };
}

/** Fixed credentials (tests, the local target, or keys from config). */
export function staticCredentials(credentials: AwsCredentials): CredentialProvider {
  return () => Promise.resolve(credentials);
}

/**
 * How a sink reaches AWS or a local target, shared by the Kinesis and Firehose clients: options,
 * region and credential defaults, and the keep-alive request handler. No AWS client is imported here,
 * so a Firehose producer never loads the Kinesis client and the other way round.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Per request, unless the producer says otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How a sink reaches AWS (or a local target). Everything is optional: the SDK defaults apply. */
export interface AwsClientOptions {
  /** Default: the SDK's resolution (AWS_REGION, config files); `us-east-1` for a plain-HTTP local endpoint. */
  readonly region?: string;
  /** e.g. `http://127.0.0.1:4567` for `kedge ingest`. Default: the AWS endpoint of the region (TLS). */
  readonly endpoint?: string;
  /** Default: the node provider chain of @aws-sdk/credential-providers (see {@link defaultCredentials}). */
  readonly credentials?: KinesisClientConfig['credentials'];
  /** Default: HTTP/1.1 with keep-alive (see {@link keepAliveHandler}). */
  readonly requestHandler?: KinesisClientConfig['requestHandler'];
  /** Connections kept to the endpoint with the default handler (default 8). */
  readonly maxSockets?: number;
  /** SDK attempts per call. Default 1: the producer retries, with its own budget. */
  readonly maxAttempts?: number;
}

const LOCAL_REGION = 'us-east-1';
/** Signs requests to a local plain-HTTP target when no real credentials exist; it accepts any signature. */
const LOCAL_CREDENTIALS = Object.freeze({ accessKeyId: 'KEDGELOCAL', secretAccessKey: 'kedge-local-target' });

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
 * The default credential chain (environment, shared files, SSO, container and instance metadata). For a
 * plain-HTTP loopback endpoint the chain falls back to fixed local credentials, so that `kedge put
 * --endpoint http://127.0.0.1:4567` works on a machine with no AWS setup at all.
 */
export function defaultCredentials(endpoint: string | undefined): NonNullable<KinesisClientConfig['credentials']> {
  const chain = fromNodeProviderChain();
  if (!isLocalPlainHttp(endpoint)) return chain;
  return async () => {
    try {
      return await chain();
    } catch {
      return LOCAL_CREDENTIALS;
    }
  };
}

/**
 * The default request handler: HTTP/1.1 over keep-alive connections. The Kinesis client's own default
 * is HTTP/2 with `disableConcurrentStreams: true` (made for SubscribeToShard), which opens a new
 * connection, and against AWS a new TLS handshake, for every PutRecords. A producer sends thousands
 * of requests; reusing a few warm connections is what it needs, and every peer speaks HTTP/1.1.
 */
export function keepAliveHandler(maxSockets = 8): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
  });
}

/** Resolves the region the same way for every client of ours. */
export function regionFor(options: AwsClientOptions): string | undefined {
  return options.region ?? (isLocalPlainHttp(options.endpoint) ? LOCAL_REGION : undefined);
}


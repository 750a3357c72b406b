/**
 * The SDK path of a sink transport: an AWS SDK client (the application's, or one we make) and the
 * module of calls made through it, both loaded on first use, so that a transport on the default path
 * never loads them. destroy() may come before the load finishes; a client made after it is destroyed
 * at once, never left open.
 */
import type { AwsClientOptions } from './aws-options.js';
import type { DirectJsonClient } from './direct-client.js';
import { directClientFor } from './location.js';
import type { AwsJsonService } from './services.js';
export interface SdkPath<Client, Calls> {
  readonly client: Client;
  readonly calls: Calls;
}

export class LazySdkPath<Client extends { destroy(): void }, Calls> {
  readonly #load: () => Promise<{ client: Client; owned: boolean; calls: Calls }>;
  readonly #describe: string;
  #loading: Promise<SdkPath<Client, Calls>> | undefined;
  #loaded: { client: Client; owned: boolean } | undefined;
  #destroyed = false;

  /** `owned`: whether we made the client (and destroy it); `describe` names the transport in errors. */
  constructor(load: () => Promise<{ client: Client; owned: boolean; calls: Calls }>, describe: string) {
    this.#load = load;
    this.#describe = describe;
  }

  get(): Promise<SdkPath<Client, Calls>> {
    if (this.#destroyed) return Promise.reject(this.#destroyedError());
    this.#loading ??= this.#open().catch((error: unknown) => {
      this.#loading = undefined; // a failed import is tried again on the next call
      throw error;
    });
    return this.#loading;
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#loaded?.owned === true) this.#loaded.client.destroy();
    this.#loaded = undefined;
  }

  async #open(): Promise<SdkPath<Client, Calls>> {
    const loaded = await this.#load();
    if (this.#destroyed) {
      if (loaded.owned) loaded.client.destroy();
      throw this.#destroyedError();
    }
    this.#loaded = loaded;
    return { client: loaded.client, calls: loaded.calls };
  }

  #destroyedError(): Error {
    return new Error(`The ${this.#describe} transport was destroyed.`);
  }
}

/**
 * How a transport sends: our own signed requests (the default), or, when the application brought an
 * SDK client or request handler, the SDK path through `load` (which gets the AWS options, to build a
 * client around the handler when no client was given).
 */
export function sendPaths<Client extends { destroy(): void }, Calls>(
  service: AwsJsonService,
  aws: AwsClientOptions,
  client: Client | undefined,
  load: (aws: AwsClientOptions) => Promise<{ client: Client; calls: Calls }>,
  describe: string,
): { readonly direct: DirectJsonClient | undefined; readonly sdk: LazySdkPath<Client, Calls> | undefined } {
  if (client === undefined && aws.requestHandler === undefined) {
    return { direct: directClientFor(service, aws, aws.maxSockets ?? DEFAULT_MAX_SOCKETS), sdk: undefined };
  }
  const sdk = new LazySdkPath(async () => {
    const loaded = await load(aws);
    return { ...loaded, owned: client === undefined };
  }, describe);
  return { direct: undefined, sdk };
}

/** Keep-alive connections for our own requests, unless `aws.maxSockets` says otherwise. */
const DEFAULT_MAX_SOCKETS = 8;

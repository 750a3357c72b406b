/**
 * The contract between the transport (HTTP/1.1 and h2c on one port) and the services behind it.
 * Transport code turns either protocol into an IngestRequest; services never see sockets.
 */
export interface IngestRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case names. HTTP/2 pseudo-headers (`:authority`, ...) are included, since SigV4 signs them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly httpVersion: '1.1' | '2';
}

export interface IngestResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** What every operation learns about the call besides its input. */
export interface OperationContext {
  readonly requestId: string;
  /** From the SigV4 credential scope, else the target's default region. */
  readonly region: string;
  readonly accountId: string;
  /** Milliseconds since the epoch, from the target's injected clock. */
  readonly now: number;
}

export type Operation = (input: any, ctx: OperationContext) => unknown | Promise<unknown>;

/** An awsJson1_1 service: `X-Amz-Target: <targetPrefix>.<Operation>`. */
export interface JsonService {
  readonly targetPrefix: string;
  /** SigV4 signing name, checked against the credential scope when auth is on. */
  readonly signingName: string;
  readonly operations: Readonly<Record<string, Operation>>;
}

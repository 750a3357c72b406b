/**
 * The contract between the transport (HTTP/1.1 and h2c on one port) and the services behind it.
 * Transport code turns either protocol into an IngestRequest; services never see sockets.
 */

/** Everything of a request except its body: what routing and authentication look at first. */
export interface RequestHead {
  readonly method: string;
  /** Path without the query string, exactly as sent (percent-encoding kept, as SigV4 signs it). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case names. HTTP/2 pseudo-headers (`:authority`, ...) are included, since SigV4 signs them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly httpVersion: '1.1' | '2';
}

export interface IngestRequest extends RequestHead {
  readonly body: Buffer;
}

export interface IngestResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/**
 * A response whose body is produced over time (GetMedia, HLS segments, long downloads): the transport
 * writes each chunk as the iterable yields it, waits for the peer to drain, and stops the iterable
 * (calls `return()`) if the peer goes away.
 */
export interface StreamingIngestResponse {
  status: number;
  headers: Record<string, string>;
  stream: AsyncIterable<Uint8Array>;
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

/**
 * An operation returns its output object, which the server sends as JSON. It may instead return a Buffer
 * (or Uint8Array) holding JSON it serialized itself, which is sent as is: hot paths (GetRecords) can skip
 * a second serialization.
 */
export type Operation = (input: any, ctx: OperationContext) => unknown | Promise<unknown>;

/** An awsJson1_1 service: `X-Amz-Target: <targetPrefix>.<Operation>`. */
export interface JsonService {
  readonly targetPrefix: string;
  /** SigV4 signing name, checked against the credential scope when auth is on. */
  readonly signingName: string;
  readonly operations: Readonly<Record<string, Operation>>;
}

/**
 * One path a service claims, restJson1 style (Kinesis Video: `POST /createStream`, `POST /getMedia`).
 * The server reads the body (up to its cap), authenticates, then calls `handle`. A path route wins over
 * awsJson1_1 dispatch, which serves only what no route claims.
 */
export interface PathRoute {
  readonly method: string;
  /** Exact path, e.g. `/createStream`. */
  readonly path: string;
  /** SigV4 signing name checked against the credential scope when auth is on; `null`: no authentication. */
  readonly signingName: string | null;
  handle(request: IngestRequest, ctx: OperationContext): IngestResponse | StreamingIngestResponse | Promise<IngestResponse | StreamingIngestResponse>;
}

/** A request whose body is handed over as it arrives (see StreamingPathRoute). */
export interface StreamingIngestRequest extends RequestHead {
  /**
   * The body chunks as they arrive; ends with the upload, throws if the peer quits mid-body. Leaving the
   * loop early stops reading without closing the connection, so the response can still be written.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * A path whose request body is not buffered: the handler gets the body as it arrives and may answer, and
 * stream its response, while the upload goes on (PutMedia: one chunked upload per session, ACKs streaming
 * back). Authentication sees the head only, the body counted as empty, which is how KVS producers sign
 * their streaming body (kvs.md §1.3). The connection is closed once the response is over, since the
 * upload may still be going.
 */
export interface StreamingPathRoute {
  readonly method: string;
  /** Exact path, e.g. `/putMedia`. */
  readonly path: string;
  /** SigV4 signing name checked against the credential scope when auth is on; `null`: no authentication. */
  readonly signingName: string | null;
  readonly streamingBody: true;
  handle(request: StreamingIngestRequest, ctx: OperationContext): IngestResponse | StreamingIngestResponse | Promise<IngestResponse | StreamingIngestResponse>;
}

/** A service addressed by path rather than by `X-Amz-Target`. */
export interface PathService {
  readonly routes: readonly (PathRoute | StreamingPathRoute)[];
}

export function isStreamingPathRoute(route: PathRoute | StreamingPathRoute): route is StreamingPathRoute {
  return 'streamingBody' in route && route.streamingBody;
}

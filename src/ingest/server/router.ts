/**
 * Routes every exchange: a path a service claimed (restJson1, health check) first, else awsJson1_1
 * dispatch. Adds the headers every AWS response carries, caps bodies, and keeps count of exchanges in
 * flight so shutdown can let them finish.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import type { Authenticator } from '../auth/authenticator.js';
import { AwsJsonDispatcher } from './aws-json.js';
import { BodyTooLargeError, type Exchange } from './exchange.js';
import { jsonErrorType, restJsonError } from './responses.js';
import { ServiceError } from './service-error.js';
import {
  isStreamingPathRoute,
  type IngestRequest,
  type IngestResponse,
  type JsonService,
  type OperationContext,
  type PathRoute,
  type PathService,
  type RequestHead,
  type StreamingIngestResponse,
  type StreamingPathRoute,
} from './types.js';

export interface IngestRouterOptions {
  authenticator: Authenticator;
  clock: Clock;
  accountId: string;
  /** Region for calls that carry no signature. */
  defaultRegion: string;
  /** Bodies above this are refused with 413 before they are buffered. */
  maxBodyBytes: number;
  logger: Logger;
}

type AnyResponse = IngestResponse | StreamingIngestResponse;

const EMPTY_BODY = Buffer.alloc(0);

export class IngestRouter {
  private readonly json: AwsJsonDispatcher;
  private readonly routes = new Map<string, PathRoute | StreamingPathRoute>();
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly options: IngestRouterOptions) {
    this.json = new AwsJsonDispatcher({ authenticator: options.authenticator, accountId: options.accountId, logger: options.logger });
  }

  registerJsonService(service: JsonService): void {
    this.json.register(service);
  }

  registerPathService(service: PathService): void {
    for (const route of service.routes) {
      const key = `${route.method} ${route.path}`;
      if (this.routes.has(key)) throw new Error(`route ${key} is already claimed`);
      this.routes.set(key, route);
    }
  }

  /** The ExchangeHandler the protocol adapters call. */
  readonly handle = (exchange: Exchange): Promise<void> => {
    const done = this.run(exchange).finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
    return done;
  };

  /** New exchanges get 503 from now on; resolves when those in flight finish or `graceMs` passes. */
  async drain(graceMs: number): Promise<void> {
    this.closing = true;
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), grace]);
    clearTimeout(timer);
  }

  private async run(exchange: Exchange): Promise<void> {
    const requestId = randomUUID();
    const now = this.options.clock.now();
    const send = (response: AnyResponse, close = false): Promise<void> => {
      // Debug only (never per record at info): one line per request, built only when debug is on.
      if (this.options.logger.isLevelEnabled('debug')) {
        const { method, path, headers } = exchange.head;
        this.options.logger.debug({ requestId, method, path, target: headers['x-amz-target'], status: response.status }, 'request');
      }
      return exchange.respond(withStandardHeaders(response, requestId, now), { close });
    };
    try {
      if (this.closing) {
        await send(jsonErrorType(503, 'ServiceUnavailableException', 'kedge ingest is shutting down.'), true);
        return;
      }
      const claimed = this.routes.get(`${exchange.head.method} ${exchange.head.path}`);
      if (claimed && isStreamingPathRoute(claimed)) {
        // The body is the route's to read as it arrives; the connection closes after the answer.
        const request = { ...exchange.head, body: exchange.bodyChunks() };
        await send(await this.routePath(claimed, exchange.head, EMPTY_BODY, (ctx) => claimed.handle(request, ctx), requestId, now), true);
        return;
      }
      let body: Buffer;
      try {
        body = await exchange.readBody(this.options.maxBodyBytes);
      } catch (err) {
        if (!(err instanceof BodyTooLargeError)) {
          exchange.destroy(); // the client quit mid-body: nobody to answer
          return;
        }
        const message = `The request body is larger than the ${this.options.maxBodyBytes} bytes kedge ingest accepts.`;
        await send(jsonErrorType(413, 'RequestEntityTooLargeException', message), true);
        return;
      }
      const request: IngestRequest = { ...exchange.head, body };
      const route = claimed;
      await send(
        route && !isStreamingPathRoute(route)
          ? await this.routePath(route, request, request.body, (ctx) => route.handle(request, ctx), requestId, now)
          : await this.json.handle(request, requestId, now),
      );
    } catch (err) {
      this.options.logger.error({ err, requestId }, 'request failed outside any operation');
      await send(jsonErrorType(500, 'InternalFailure', `Internal error (request ${requestId}); see the kedge ingest log.`), true).catch(() => {
        exchange.destroy();
      });
    }
  }

  private async routePath(
    route: PathRoute | StreamingPathRoute,
    head: RequestHead,
    payload: Buffer,
    call: (ctx: OperationContext) => AnyResponse | Promise<AnyResponse>,
    requestId: string,
    now: number,
  ): Promise<AnyResponse> {
    try {
      const region = route.signingName === null
        ? this.options.defaultRegion
        : this.options.authenticator.authenticate(head, payload, route.signingName).region;
      const ctx: OperationContext = { requestId, region, accountId: this.options.accountId, now };
      return await call(ctx);
    } catch (err) {
      if (err instanceof ServiceError) return restJsonError(err);
      this.options.logger.error({ err, requestId, route: `${route.method} ${route.path}` }, 'route threw; answered 500 InternalFailure');
      return restJsonError(new ServiceError('InternalFailure', `Internal error (request ${requestId}); see the kedge ingest log.`, 500));
    }
  }
}

/**
 * `x-amzn-RequestId` and `x-amz-id-2` as AWS sends them, and `Date` from the injected clock: the SDK
 * measures its clock skew from `Date` and re-signs after an expired-signature error.
 */
function withStandardHeaders(response: AnyResponse, requestId: string, now: number): AnyResponse {
  return {
    ...response,
    headers: {
      'x-amzn-RequestId': requestId,
      'x-amz-id-2': randomBytes(72).toString('base64'),
      Date: new Date(now).toUTCString(),
      ...response.headers,
    },
  };
}

/** `GET /healthcheck` → 200, unauthenticated, like kinesis-mock's, for scripts and container health checks. */
export const healthCheck: PathService = {
  routes: [
    {
      method: 'GET',
      path: '/healthcheck',
      signingName: null,
      handle: () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"status":"ok"}' }),
    },
  ],
};

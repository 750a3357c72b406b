/**
 * awsJson1_1 dispatch: `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON object body.
 * The order of checks, and the odd answers to odd requests (403 XML for a GET, 404 for an unknown content
 * type), follow what AWS's front end does as kinesalite's tests recorded it against the real service:
 * method, then empty body, then content type, then JSON, then target, then authentication.
 */
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticator.js';
import { parseCompactJson } from './compact-json.js';
import { ServiceError, serializationError } from './service-error.js';
import { AMZ_JSON_1_1, jsonError, jsonErrorType, jsonResponse, xmlError } from './responses.js';
import type { IngestRequest, IngestResponse, JsonService, Operation, OperationContext } from './types.js';

const AMZ_CBOR_1_1 = 'application/x-amz-cbor-1.1';
const PLAIN_JSON = 'application/json';

export interface AwsJsonOptions {
  authenticator: Authenticator;
  accountId: string;
  logger: Logger;
}

interface ResolvedTarget {
  readonly target: string;
  readonly service?: JsonService;
  readonly operationName?: string;
  readonly operation?: Operation;
}

export class AwsJsonDispatcher {
  private readonly services = new Map<string, JsonService>();

  constructor(private readonly options: AwsJsonOptions) {}

  register(service: JsonService): void {
    if (this.services.has(service.targetPrefix)) {
      throw new Error(`a service with target prefix ${service.targetPrefix} is already registered`);
    }
    this.services.set(service.targetPrefix, service);
  }

  async handle(request: IngestRequest, requestId: string, now: number): Promise<IngestResponse> {
    if (request.method !== 'POST') return refuseNonPost(request);
    const target = this.resolve(request.headers['x-amz-target'] ?? targetFromQuery(request.query) ?? '');
    if (request.body.length === 0) {
      return target.operation
        ? jsonErrorType(400, 'SerializationException', 'The request body is empty; send a JSON object (at least {}).')
        : jsonErrorType(400, 'UnknownOperationException');
    }
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType === PLAIN_JSON) return coralJson(request.body);
    if (contentType === AMZ_CBOR_1_1) {
      return jsonErrorType(400, 'SerializationException',
        'kedge ingest speaks application/x-amz-json-1.1 only, not CBOR. For the Java SDK or the KPL set AWS_CBOR_DISABLE=true.');
    }
    if (contentType !== AMZ_JSON_1_1) {
      return target.target.includes('.')
        ? xmlError(404, 'UnknownOperationException')
        : xmlError(403, 'AccessDeniedException', 'Unable to determine service/operation name to be authorized');
    }
    const input = parseJsonObject(request.body);
    if (input instanceof ServiceError) return jsonError(input);
    if (!target.service || !target.operation) return jsonErrorType(400, 'UnknownOperationException', this.unknownMessage(target));
    try {
      const auth = this.options.authenticator.authenticate(request, request.body, target.service.signingName);
      const ctx: OperationContext = { requestId, region: auth.region, accountId: this.options.accountId, now };
      return successResponse(await target.operation(input, ctx));
    } catch (err) {
      return this.failure(err, target, requestId);
    }
  }

  private resolve(target: string): ResolvedTarget {
    const dot = target.indexOf('.');
    if (dot <= 0) return { target };
    const service = this.services.get(target.slice(0, dot));
    const operationName = target.slice(dot + 1);
    // Own properties only: a target of `X.constructor` or `X.__proto__` is not an operation.
    const operation = service && Object.hasOwn(service.operations, operationName) ? service.operations[operationName] : undefined;
    return { target, ...(service ? { service } : {}), operationName, ...(operation ? { operation } : {}) };
  }

  private unknownMessage(target: ResolvedTarget): string {
    if (target.service) return `${target.target} is not an operation kedge ingest implements.`;
    const known = [...this.services.keys()].join(', ');
    return `X-Amz-Target '${target.target}' names no service here; known target prefixes: ${known}.`;
  }

  private failure(err: unknown, target: ResolvedTarget, requestId: string): IngestResponse {
    if (err instanceof ServiceError) {
      this.options.logger.debug({ requestId, target: target.target, type: err.type }, 'operation failed');
      return jsonError(err);
    }
    this.options.logger.error({ err, requestId, target: target.target }, 'operation threw; answered 500 InternalFailure');
    return jsonErrorType(500, 'InternalFailure', `Internal error while handling ${target.target} (request ${requestId}); see the kedge ingest log.`);
  }
}

/** A presigned request names its target in the query: the SDK's presign() hoists `x-amz-*` headers there. */
function targetFromQuery(query: URLSearchParams): string | undefined {
  for (const [key, value] of query) if (key.toLowerCase() === 'x-amz-target') return value;
  return undefined;
}

function successResponse(result: unknown): IngestResponse {
  if (result instanceof Uint8Array) {
    return { status: 200, headers: { 'Content-Type': AMZ_JSON_1_1 }, body: Buffer.from(result.buffer, result.byteOffset, result.byteLength) };
  }
  return jsonResponse(200, result ?? {});
}

/**
 * From this size on, bodies are first tried with parseCompactJson: building one string of a large body costs
 * more than parsing it (fresh large-object pages per request). Smaller bodies parse faster than they check.
 */
const COMPACT_PARSE_MIN_BYTES = 64 * 1024;

function parseJsonObject(body: Buffer): Record<string, unknown> | ServiceError {
  let value = body.length >= COMPACT_PARSE_MIN_BYTES ? parseCompactJson(body) : undefined;
  if (value === undefined) {
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return serializationError(`The request body is not valid JSON (${(err as Error).message}).`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return serializationError('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** Non-POST: AWS answers 403 in XML, naming the missing signature first if there is none. */
function refuseNonPost(request: IngestRequest): IngestResponse {
  const signed = request.headers['authorization'] !== undefined || request.query.has('X-Amz-Algorithm');
  return signed
    ? xmlError(403, 'AccessDeniedException', 'Unable to determine service/operation name to be authorized')
    : xmlError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
}

/** `application/json` reaches AWS's older Coral front end, which never routes it to an operation. */
function coralJson(body: Buffer): IngestResponse {
  const parsed = parseJsonObject(body);
  return parsed instanceof ServiceError
    ? jsonResponse(400, { Output: { __type: 'com.amazon.coral.service#SerializationException', Message: null }, Version: '1.0' }, PLAIN_JSON)
    : jsonResponse(404, { Output: { __type: 'com.amazon.coral.service#UnknownOperationException', message: null }, Version: '1.0' }, PLAIN_JSON);
}

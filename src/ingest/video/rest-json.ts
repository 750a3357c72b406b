/** restJson1 routes: `POST /<operation>` with a JSON body in and out, signed for `kinesisvideo`. */
import type { OperationContext, PathRoute, RequestHead } from '../server/types.js';
import { parseBody, type Input } from './input.js';

export const KVS_SIGNING_NAME = 'kinesisvideo';

export type RestJsonOperation = (input: Input, ctx: OperationContext, head: RequestHead) => unknown;

export function restJsonRoute(path: string, operation: RestJsonOperation): PathRoute {
  return {
    method: 'POST',
    path,
    signingName: KVS_SIGNING_NAME,
    handle: async (request, ctx) => {
      const output = await operation(parseBody(request.body), ctx, request);
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(output ?? {}) };
    },
  };
}

/** The URL a caller reached the target by: the configured one, else from its Host (or :authority). */
export function ownEndpoint(configured: string | undefined, head: RequestHead): string {
  if (configured !== undefined) return configured;
  const host = head.headers[':authority'] ?? head.headers['host'] ?? '127.0.0.1';
  return `http://${host}`;
}

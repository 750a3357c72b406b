/**
 * Calls the "Lambda functions" of the local target. The `lambdas` option maps a Lambda ARN to either a path
 * of an ES module exporting `handler(event, context)` (imported in-process, like a Lambda runtime would), or an
 * http(s) URL that is POSTed the event JSON and answers the result JSON.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Rng } from '../../core/clock.js';
import { uuidFrom } from './s3-key.js';

/** Why an invocation failed, with the Firehose error code it is reported under. */
export class InvocationError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const INVOKE_TIMEOUT_MS = 5 * 60_000;
const MAX_ANSWER_BYTES = 6 * 1024 * 1024;

type Handler = (event: unknown, context: unknown, callback?: (err: unknown, result?: unknown) => void) => unknown;

export class LambdaInvoker {
  constructor(
    private readonly lambdas: Readonly<Record<string, string>>,
    private readonly rng: Rng,
  ) {}

  /** Resolves with the function's answer (not yet checked); rejects with InvocationError. */
  async invoke(lambdaArn: string, event: unknown, signal: AbortSignal): Promise<unknown> {
    const target = this.lambdas[lambdaArn];
    if (target === undefined) {
      throw new InvocationError('Lambda.ResourceNotFound', `Function ${lambdaArn} is not mapped; start the target with --lambda ${lambdaArn}=<module.mjs|url>.`);
    }
    if (/^https?:\/\//.test(target)) return this.post(target, event, signal);
    return this.callModule(lambdaArn, target, event);
  }

  private async callModule(lambdaArn: string, path: string, event: unknown): Promise<unknown> {
    let handler: Handler | undefined;
    try {
      // import() caches the module, so each function is loaded once per process.
      const mod = (await import(pathToFileURL(isAbsolute(path) ? path : resolve(path)).href)) as { handler?: Handler; default?: { handler?: Handler } };
      handler = mod.handler ?? mod.default?.handler;
    } catch (err) {
      throw new InvocationError('Lambda.ResourceNotFound', `Could not load ${path} for ${lambdaArn}: ${(err as Error).message}`);
    }
    if (typeof handler !== 'function') throw new InvocationError('Lambda.ResourceNotFound', `${path} does not export a handler function.`);
    const context = {
      awsRequestId: uuidFrom(this.rng),
      functionName: lambdaArn.split(':')[6] ?? lambdaArn,
      invokedFunctionArn: lambdaArn,
      getRemainingTimeInMillis: () => INVOKE_TIMEOUT_MS,
    };
    const fn = handler;
    try {
      if (fn.length >= 3) {
        // A callback-style handler.
        return await new Promise((resolveAnswer, reject) => {
          const maybe = fn(event, context, (err, result) => (err ? reject(err) : resolveAnswer(result)));
          if (maybe && typeof (maybe as Promise<unknown>).then === 'function') (maybe as Promise<unknown>).then(resolveAnswer, reject);
        });
      }
      return await fn(event, context);
    } catch (err) {
      throw new InvocationError('Lambda.FunctionError', `The function threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private post(url: string, event: unknown, signal: AbortSignal): Promise<unknown> {
    const body = Buffer.from(JSON.stringify(event));
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    return new Promise((resolveAnswer, reject) => {
      const req = request(
        url,
        { method: 'POST', signal, timeout: INVOKE_TIMEOUT_MS, headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) {
              res.destroy();
              reject(new InvocationError('Lambda.FunctionError', `The answer of ${url} is larger than 6 MB.`));
            } else chunks.push(c);
          });
          res.on('error', (err) => reject(new InvocationError('Lambda.FunctionError', err.message)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) {
              reject(new InvocationError('Lambda.FunctionError', `${url} answered ${status}: ${text.slice(0, 1024)}`));
              return;
            }
            try {
              resolveAnswer(JSON.parse(text));
            } catch {
              reject(new InvocationError('Lambda.JsonProcessingException', `${url} answered something that is not JSON: ${text.slice(0, 256)}`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 5 minutes')));
      req.on('error', (err) => reject(err instanceof InvocationError ? err : new InvocationError('Lambda.FunctionError', `POST ${url} failed: ${err.message}`)));
      req.end(body);
    });
  }
}

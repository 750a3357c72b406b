/**
 * Flags of `kedge ingest` and `kedge demo`, parsed and checked into plain options. Every problem is an
 * InvalidInputError whose one-line message names the flag and what to pass instead.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../core/errors.js';

export interface IngestFlags {
  help: boolean;
  port: number;
  host?: string;
  dataDir?: string;
  memory: boolean;
  auth: { accessKeyId: string; secretAccessKey: string }[];
  limits: boolean;
  faultRate: number;
  firehoseIntervalSeconds?: number;
  /** Lambda ARN → absolute module path or http(s) URL. */
  lambdas: Record<string, string>;
  logLevel: string;
}

export const INGEST_FLAGS_USAGE = `options:
  --port N                  port to listen on (default 4567; 0 picks a free one)
  --host ADDR               address to bind (default 127.0.0.1)
  --data DIR                persist streams, Firehose buffers and S3 objects here (default ./.kedge/ingest)
  --memory                  keep everything in memory (S3 objects go to a temp dir, logged at start, removed at stop)
  --auth KEYID:SECRET       verify SigV4 signatures against this key (repeatable); default: accept any caller
  --no-limits               do not enforce per-shard throughput limits
  --faults RATE             fail this share of writes on purpose, 0..1 (e.g. 0.05)
  --firehose-interval SECS  deliver Firehose buffers at least this often, overriding each stream's hint
  --lambda ARN=TARGET       serve this Lambda ARN from a module (./f.mjs exporting handler) or an http(s) URL (repeatable)
  --log-level LEVEL         fatal, error, warn, info (default), debug, trace or silent; logs go to stderr
  -h, --help                show this help`;

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const bad = (message: string): InvalidInputError => new InvalidInputError('BAD_FLAG', message);

/** `cwd` resolves relative `--data` and `--lambda` module paths. */
export function parseIngestFlags(argv: readonly string[], cwd: string): IngestFlags {
  const { values } = parseOrExplain(argv);
  if (values.help) return { help: true, port: 0, memory: false, auth: [], limits: true, faultRate: 0, lambdas: {}, logLevel: 'info' };
  if (values.memory && values.data !== undefined) throw bad('--data and --memory exclude each other; pass one');
  const flags: IngestFlags = {
    help: false,
    port: values.port === undefined ? 4567 : parsePort(values.port),
    memory: values.memory ?? false,
    auth: (values.auth ?? []).map(parseAuth),
    limits: !(values['no-limits'] ?? false),
    faultRate: values.faults === undefined ? 0 : parseRate(values.faults),
    lambdas: parseLambdas(values.lambda ?? [], cwd),
    logLevel: parseLogLevel(values['log-level'] ?? 'info'),
  };
  if (values.host !== undefined) {
    if (values.host.trim() === '') throw bad('--host needs an address, e.g. 127.0.0.1');
    flags.host = values.host;
  }
  if (values.data !== undefined) {
    if (values.data.trim() === '') throw bad('--data needs a directory');
    flags.dataDir = resolve(cwd, values.data);
  }
  if (values['firehose-interval'] !== undefined) flags.firehoseIntervalSeconds = parseInterval(values['firehose-interval']);
  return flags;
}

function parseOrExplain(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        memory: { type: 'boolean' },
        auth: { type: 'string', multiple: true },
        'no-limits': { type: 'boolean' },
        faults: { type: 'string' },
        'firehose-interval': { type: 'string' },
        lambda: { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw bad(explainParseError(err as NodeJS.ErrnoException));
  }
}

/** node's parseArgs messages run to several lines; reduce them to one. */
function explainParseError(err: NodeJS.ErrnoException): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted} (see --help)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted}' (options take the form --name value; see --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${quoted.split(' ')[0] ?? 'an option'} ${/argument missing/.test(err.message) ? 'needs a value' : 'takes no value'} (see --help)`;
    default:
      return err.message.split('\n')[0] ?? String(err);
  }
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw bad(`--port must be a number from 0 to 65535 (0 picks a free port), got '${text}'`);
  return port;
}

function parseRate(text: string): number {
  const rate = /^\s*$/.test(text) ? NaN : Number(text);
  if (!(rate >= 0 && rate <= 1)) throw bad(`--faults must be a share between 0 and 1 (0.05 = 5 %), got '${text}'`);
  return rate;
}

function parseInterval(text: string): number {
  const seconds = /^\s*$/.test(text) ? NaN : Number(text);
  if (!(seconds > 0 && Number.isFinite(seconds))) throw bad(`--firehose-interval must be a positive number of seconds, got '${text}'`);
  return seconds;
}

function parseAuth(text: string): { accessKeyId: string; secretAccessKey: string } {
  const colon = text.indexOf(':');
  const accessKeyId = colon > 0 ? text.slice(0, colon) : '';
  const secretAccessKey = colon > 0 ? text.slice(colon + 1) : '';
  if (!accessKeyId || !secretAccessKey) throw bad(`--auth takes KEYID:SECRET, e.g. --auth AKIDEXAMPLE:secret; got '${text}'`);
  return { accessKeyId, secretAccessKey };
}

function parseLambdas(entries: readonly string[], cwd: string): Record<string, string> {
  const lambdas: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const arn = eq > 0 ? entry.slice(0, eq) : '';
    const target = eq > 0 ? entry.slice(eq + 1) : '';
    if (!/^arn:aws[a-z-]*:lambda:/.test(arn) || !target) {
      throw bad(`--lambda takes ARN=./module.mjs or ARN=http://host/path, e.g. arn:aws:lambda:us-east-1:000000000000:function:f=./f.mjs; got '${entry}'`);
    }
    if (/^https?:\/\//i.test(target)) {
      lambdas[arn] = target;
      continue;
    }
    const path = isAbsolute(target) ? target : resolve(cwd, target);
    if (!existsSync(path)) throw bad(`--lambda ${arn}: module ${path} does not exist`);
    lambdas[arn] = path;
  }
  return lambdas;
}

function parseLogLevel(text: string): string {
  if (!LOG_LEVELS.has(text)) throw bad(`--log-level must be one of ${[...LOG_LEVELS].join(', ')}; got '${text}'`);
  return text;
}

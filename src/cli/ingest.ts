/**
 * `kedge ingest`: runs the local ingest target until SIGINT/SIGTERM. Prints exactly one line on stdout,
 * the URL, once it is ready; structured logs go to stderr.
 */
import pino, { type Logger } from 'pino';
import { INGEST_FLAGS_USAGE, parseIngestFlags, type IngestFlags } from '../config/ingest-flags.js';
import { InvalidInputError, KedgeError } from '../core/errors.js';
import { startIngestTarget, type IngestTarget, type IngestTargetOptions } from '../ingest/target.js';

export const INGEST_USAGE = `usage: kedge ingest [options]

Runs a local target that speaks the Kinesis Data Streams and Firehose APIs (HTTP/1.1 and HTTP/2 on one
port), so the AWS SDK and CLI work against it with only an endpoint override.

${INGEST_FLAGS_USAGE}`;

export async function ingestCommand(argv: string[]): Promise<number> {
  const flags = parseFlagsOrExplain('ingest', argv);
  if (typeof flags === 'number') return flags;
  if (flags.help) {
    process.stdout.write(`${INGEST_USAGE}\n`);
    return 0;
  }
  const logger = createCliLogger(flags.logLevel);
  const target = await startOrExplain('ingest', targetOptions(flags, logger));
  if (target === undefined) return 1;
  // Listen for signals before announcing readiness: a supervisor may signal as soon as it reads the line.
  const stopped = untilStopSignal();
  process.stdout.write(`kedge ingest listening on ${target.url}\n`);
  await stopped;
  await target.close();
  logger.info('kedge ingest stopped');
  return 0;
}

/** Parsed flags, or the exit code after printing a one-line reason (2: bad usage). */
export function parseFlagsOrExplain(command: string, argv: string[]): IngestFlags | number {
  try {
    return parseIngestFlags(argv, process.cwd());
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    process.stderr.write(`kedge ${command}: ${err.message}\n`);
    return 2;
  }
}

export function targetOptions(flags: IngestFlags, logger: Logger): IngestTargetOptions {
  return {
    port: flags.port,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
    memory: flags.memory,
    auth: flags.auth,
    limits: flags.limits,
    faultRate: flags.faultRate,
    ...(flags.firehoseIntervalSeconds !== undefined ? { firehoseIntervalSeconds: flags.firehoseIntervalSeconds } : {}),
    lambdas: flags.lambdas,
    logger,
  };
}

/** Logs on stderr, written synchronously so nothing is lost when the process exits. */
export function createCliLogger(level: string): Logger {
  return pino({ name: 'kedge', level }, pino.destination({ dest: 2, sync: true }));
}

/** The started target, or undefined after printing why it could not start. */
export async function startOrExplain(command: string, options: IngestTargetOptions): Promise<IngestTarget | undefined> {
  try {
    return await startIngestTarget(options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      process.stderr.write(`kedge ${command}: port ${options.port} on ${options.host ?? '127.0.0.1'} is in use; pass --port 0 for a free one, or another port\n`);
    } else if (code === 'EACCES') {
      process.stderr.write(`kedge ${command}: not allowed to listen on port ${options.port}; use a port above 1023\n`);
    } else if (err instanceof KedgeError) {
      process.stderr.write(`kedge ${command}: ${err.message}\n`);
    } else {
      throw err;
    }
    return undefined;
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM. A second one while shutting down exits at once, for the
 * case where a close hangs and the user presses Ctrl-C again.
 */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const force = (): void => {
        process.stderr.write('kedge: second signal during shutdown; exiting now\n');
        process.exit(130);
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

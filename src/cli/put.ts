/**
 * `kedge put`: records from `--data`, a file (one record a line, JSON or raw) or stdin, to a Kinesis
 * stream or a Firehose delivery stream, through the producer SDK (spool, batching, aggregation,
 * retries). Shows progress on files and prints a summary at the end; exits non-zero if anything was
 * refused, dead-lettered or left undelivered.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../core/errors.js';
import { createProducer, type Producer, type ProducerOptions } from '../index.js';

export const PUT_USAGE = `usage: kedge put (--stream NAME | --delivery-stream NAME) [records] [options]

Sends records to a Kinesis data stream or a Firehose delivery stream through kedge's producer
(durable spool, batching, KPL aggregation per shard, retries of only the failed records).

records (one of; default: stdin, one record a line):
  --data TEXT                 a record (repeatable)
  --file PATH                 one record a line (JSON or raw text); '-' for stdin

options:
  --partition-key KEY         partition key of every record (default: a random key per record)
  --partition-key-field NAME  take the key from this field of each JSON record (lines without it are refused)
  --explicit-hash-key N       ExplicitHashKey of every record (decimal, 0 to 2^128-1)
  --endpoint URL              e.g. http://127.0.0.1:4567 for kedge ingest (default: AWS over TLS)
  --region REGION             default: the AWS SDK's resolution (us-east-1 for a local endpoint)
  --spool DIR                 durable spool here (undelivered records wait for the next run); default: memory
  --dead-letter PATH          dead-letter file (default: DIR/dead-letter.jsonl with --spool)
  --no-aggregate              send one Kinesis record per record (no KPL aggregation)
  --ordering per-key          keep each partition key's records in order across retries
  --newline                   Firehose: end each record with a newline (if it has none)
  --ttl SECS                  dead-letter a record not delivered this long after it was put (default: no limit)
  --timeout SECS              wait at most this long for delivery at the end (default 60)
  --progress                  show the progress bar even when stderr is not a terminal
  -h, --help                  show this help

exit status: 0 all delivered; 1 something was refused, dead-lettered or not delivered in time; 2 bad usage.`;

export interface PutFlags {
  readonly help: boolean;
  readonly stream?: string;
  readonly deliveryStream?: string;
  readonly data: readonly string[];
  readonly file?: string;
  readonly partitionKey?: string;
  readonly partitionKeyField?: string;
  readonly explicitHashKey?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly spool?: string;
  readonly deadLetter?: string;
  readonly aggregate: boolean;
  readonly perKey: boolean;
  readonly newline: boolean;
  readonly ttlMs: number | undefined;
  readonly timeoutMs: number;
  readonly progress: boolean;
}

const bad = (message: string): InvalidInputError => new InvalidInputError('BAD_FLAG', message);

export function parsePutFlags(argv: readonly string[]): PutFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      allowPositionals: false,
      strict: true,
      options: {
        stream: { type: 'string' },
        'delivery-stream': { type: 'string' },
        data: { type: 'string', multiple: true },
        file: { type: 'string' },
        'partition-key': { type: 'string' },
        'partition-key-field': { type: 'string' },
        'explicit-hash-key': { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        spool: { type: 'string' },
        'dead-letter': { type: 'string' },
        'no-aggregate': { type: 'boolean' },
        ordering: { type: 'string' },
        newline: { type: 'boolean' },
        ttl: { type: 'string' },
        timeout: { type: 'string' },
        progress: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw bad(`${(error as Error).message}; see kedge put --help`);
  }
  const help = values.help ?? false;
  const flags: PutFlags = {
    help,
    stream: values.stream,
    deliveryStream: values['delivery-stream'],
    data: values.data ?? [],
    file: values.file,
    partitionKey: values['partition-key'],
    partitionKeyField: values['partition-key-field'],
    explicitHashKey: values['explicit-hash-key'],
    endpoint: values.endpoint,
    region: values.region,
    spool: values.spool,
    deadLetter: values['dead-letter'],
    aggregate: !(values['no-aggregate'] ?? false),
    perKey: parseOrdering(values.ordering),
    newline: values.newline ?? false,
    ttlMs: values.ttl === undefined ? undefined : parseSeconds('--ttl', values.ttl),
    timeoutMs: values.timeout === undefined ? 60_000 : parseSeconds('--timeout', values.timeout),
    progress: values.progress ?? false,
  };
  if (help) return flags;
  if ((flags.stream === undefined) === (flags.deliveryStream === undefined)) throw bad('pass exactly one of --stream NAME or --delivery-stream NAME');
  if (flags.data.length > 0 && flags.file !== undefined) throw bad('--data and --file exclude each other; pass one');
  if (flags.partitionKey !== undefined && flags.partitionKeyField !== undefined) throw bad('--partition-key and --partition-key-field exclude each other; pass one');
  if (flags.deliveryStream !== undefined && (flags.partitionKey ?? flags.partitionKeyField ?? flags.explicitHashKey) !== undefined) {
    throw bad('Firehose has no partition keys: drop --partition-key, --partition-key-field and --explicit-hash-key with --delivery-stream');
  }
  if (flags.newline && flags.stream !== undefined) throw bad('--newline is for Firehose (--delivery-stream)');
  if (flags.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(flags.endpoint)) throw bad(`--endpoint must be an http(s) URL such as http://127.0.0.1:4567, got '${flags.endpoint}'`);
  return flags;
}

function parseOrdering(value: string | undefined): boolean {
  if (value === undefined || value === 'none') return false;
  if (value === 'per-key') return true;
  throw bad(`--ordering must be per-key or none, got '${value}'`);
}

function parseSeconds(flag: string, value: string): number {
  const seconds = Number(value);
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw bad(`${flag} must be a positive number of seconds, got '${value}'`);
  return Math.max(1, Math.round(seconds * 1000));
}

export function producerOptionsFor(flags: PutFlags): ProducerOptions {
  return {
    sink:
      flags.stream !== undefined
        ? { type: 'kinesis', streamName: flags.stream, aggregate: flags.aggregate }
        : { type: 'firehose', deliveryStreamName: flags.deliveryStream!, ...(flags.newline ? { newlineDelimited: 'always' as const } : {}) },
    aws: { ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}), ...(flags.region !== undefined ? { region: flags.region } : {}) },
    ...(flags.spool !== undefined ? { spool: { dir: flags.spool } } : {}),
    ...(flags.deadLetter !== undefined ? { deadLetterPath: flags.deadLetter } : {}),
    ordering: flags.perKey ? 'per-key' : 'none',
    ...(flags.ttlMs !== undefined ? { recordTtlMs: flags.ttlMs } : {}),
    // The summary is printed after our own flush; close() need not wait again.
    closeTimeoutMs: 0,
  };
}

/** Keeps this many puts outstanding: the spool batches them, and the producer's backpressure bounds memory. */
const PUT_WINDOW = 1000;

interface Tally {
  refused: number;
  firstRefusal: string | undefined;
}

export async function putCommand(argv: string[]): Promise<number> {
  let flags: PutFlags;
  try {
    flags = parsePutFlags(argv);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    process.stderr.write(`kedge put: ${error.message}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(`${PUT_USAGE}\n`);
    return 0;
  }
  let producer: Producer;
  try {
    producer = await createProducer(producerOptionsFor(flags));
  } catch (error) {
    process.stderr.write(`kedge put: ${(error as Error).message}\n`);
    return error instanceof InvalidInputError ? 2 : 1;
  }
  producer.on('parked', (event) => process.stderr.write(`kedge put: sending parked (${event.state}): ${event.code}: ${event.message}\n`));
  producer.on('dead-lettered', (event) => process.stderr.write(`kedge put: ${event.records} records dead-lettered: ${event.reason}\n`));
  producer.on('error', (error) => process.stderr.write(`kedge put: ${error.message}\n`));

  const tally: Tally = { refused: 0, firstRefusal: undefined };
  const window: Promise<void>[] = [];
  const put = async (line: string): Promise<void> => {
    const promise = putLine(producer, flags, line);
    window.push(
      promise.catch((error: unknown) => {
        tally.refused += 1;
        tally.firstRefusal ??= (error as Error).message;
      }),
    );
    if (window.length >= PUT_WINDOW) await Promise.all(window.splice(0));
  };

  let undelivered = false;
  try {
    if (flags.data.length > 0) {
      for (const text of flags.data) await put(text);
    } else {
      await readLines(flags.file, flags.progress || process.stderr.isTTY === true, put);
    }
    await Promise.all(window.splice(0));
    try {
      await producer.flush({ timeoutMs: flags.timeoutMs });
    } catch (error) {
      undelivered = true;
      process.stderr.write(`kedge put: ${(error as Error).message}\n`);
    }
  } finally {
    await producer.close();
  }
  const stats = producer.stats();
  process.stdout.write(
    `accepted ${stats.accepted}, delivered ${stats.delivered}, retried ${stats.retried}, dead-lettered ${stats.deadLettered}, refused ${tally.refused}` +
      `${stats.spool.entries > 0 ? `, not delivered ${stats.spool.entries}${flags.spool !== undefined ? ` (kept in ${flags.spool})` : ''}` : ''}\n`,
  );
  if (tally.firstRefusal !== undefined) process.stderr.write(`kedge put: first refused record: ${tally.firstRefusal}\n`);
  return stats.deadLettered > 0 || tally.refused > 0 || undelivered || stats.dropped['memory-spool-closed'] > 0 ? 1 : 0;
}

function putLine(producer: Producer, flags: PutFlags, line: string): Promise<void> {
  let partitionKey = flags.partitionKey;
  if (flags.partitionKeyField !== undefined) {
    const key = fieldOf(line, flags.partitionKeyField);
    if (key === undefined) {
      return Promise.reject(bad(`record has no string or number field '${flags.partitionKeyField}' for --partition-key-field: ${line.slice(0, 80)}`));
    }
    partitionKey = key;
  }
  return producer.put(line, {
    ...(partitionKey !== undefined ? { partitionKey } : {}),
    ...(flags.explicitHashKey !== undefined ? { explicitHashKey: flags.explicitHashKey } : {}),
  });
}

/** The partition key from a JSON line's field (strings as they are, numbers as decimal), or undefined. */
export function fieldOf(line: string, field: string): string | undefined {
  let value: unknown;
  try {
    value = (JSON.parse(line) as Record<string, unknown> | null)?.[field];
  } catch {
    return undefined;
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

async function readLines(file: string | undefined, showProgress: boolean, onLine: (line: string) => Promise<void>): Promise<void> {
  const fromStdin = file === undefined || file === '-';
  const input: Readable = fromStdin ? process.stdin : createReadStream(file);
  const total = fromStdin ? undefined : statSync(file).size;
  const progress = showProgress && total !== undefined ? new ProgressBar(total) : undefined;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let bytes = 0;
  for await (const line of lines) {
    bytes += Buffer.byteLength(line) + 1;
    if (line.length === 0) continue;
    await onLine(line);
    progress?.update(bytes);
  }
  progress?.done();
}

/** One line on stderr, redrawn at most every 100 ms. */
class ProgressBar {
  #lastDrawMs = 0;
  constructor(private readonly total: number) {}

  update(done: number): void {
    const now = Date.now();
    if (now - this.#lastDrawMs < 100) return;
    this.#lastDrawMs = now;
    this.#draw(done);
  }

  done(): void {
    this.#draw(this.total);
    process.stderr.write('\n');
  }

  #draw(done: number): void {
    const fraction = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(fraction * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${this.total} bytes`);
  }
}

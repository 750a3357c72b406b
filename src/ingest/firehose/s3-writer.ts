/**
 * The local stand-in for S3: objects are files under `<s3Dir>/<bucket>/<key>`, written atomically (a temp file
 * in `<s3Dir>/.kedge-tmp/`, then rename), so a reader never sees half an object. Delivered objects hold the
 * records' bytes concatenated without separators, as AWS writes them; error objects hold one JSON error record
 * per line. GZIP compresses both, as the destination's CompressionFormat says.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Rng } from '../../core/clock.js';
import type { S3Location } from './config.js';
import { dataPrefix, errorPrefix, objectName, uuidFrom, type ErrorOutputType } from './s3-key.js';

const gzip = promisify(gzipCallback);

export interface ObjectRecord {
  readonly data: Buffer;
  /** Arrival (ms) of the record; the object's timestamp is the oldest one. */
  readonly arrival: number;
}

export class LocalS3Writer {
  constructor(
    private readonly s3Dir: string,
    private readonly rng: Rng,
  ) {}

  /** Writes one object of delivered records; returns its key. */
  async writeData(location: S3Location, streamName: string, version: number, records: readonly ObjectRecord[]): Promise<string> {
    const ctx = { oldestArrival: oldest(records), rng: this.rng };
    const key = dataPrefix(location.parsedPrefix, ctx) + objectName(streamName, version, ctx, location.extension);
    await this.put(location, key, Buffer.concat(records.map((r) => r.data)));
    return key;
  }

  /** Writes one error object of AWS error records (`lines` are JSON documents); returns its key. */
  async writeErrors(
    location: S3Location,
    streamName: string,
    version: number,
    type: ErrorOutputType,
    records: ReadonlyArray<{ readonly line: string; readonly arrival: number }>,
  ): Promise<string> {
    const ctx = { oldestArrival: oldest(records), rng: this.rng };
    const key = errorPrefix(location.parsedPrefix, location.parsedErrorOutputPrefix, type, ctx) + objectName(streamName, version, ctx, location.extension);
    await this.put(location, key, Buffer.from(records.map((r) => `${r.line}\n`).join('')));
    return key;
  }

  private async put(location: S3Location, key: string, body: Buffer): Promise<void> {
    const content = location.compression === 'GZIP' ? await gzip(body) : body;
    const target = join(this.s3Dir, location.bucket, ...safeSegments(key));
    const tmpDir = join(this.s3Dir, '.kedge-tmp');
    const tmp = join(tmpDir, uuidFrom(this.rng));
    await mkdir(tmpDir, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    try {
      await writeFile(tmp, content);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

function oldest(records: ReadonlyArray<{ readonly arrival: number }>): number {
  let min = Infinity;
  for (const r of records) if (r.arrival < min) min = r.arrival;
  return min;
}

/**
 * S3 keys are opaque strings, file paths are not: a key segment `.` or `..` (from a prefix like `../x/`) would
 * climb out of the bucket directory, so such segments are percent-encoded; empty segments are dropped.
 */
function safeSegments(key: string): string[] {
  return key
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => (s === '.' || s === '..' ? s.replace(/\./g, '%2E') : s));
}

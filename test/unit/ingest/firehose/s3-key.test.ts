import { describe, expect, it } from 'vitest';
import { dataPrefix, errorPrefix, objectName, parsePrefix, PrefixSyntaxError, uuidFrom } from '../../../../src/ingest/firehose/s3-key.js';
import { seededRng } from '../../../helpers/seeded-rng.js';

// 2018-08-27T10:30:00Z and 2018-07-06T23:05:09.042Z, the instants of AWS's s3-prefixes.html examples.
const AUG_27 = Date.UTC(2018, 7, 27, 10, 30, 0);
const JUL_06 = Date.UTC(2018, 6, 6, 23, 5, 9, 42);
const ctx = (oldestArrival: number) => ({ oldestArrival, rng: seededRng(1) });

describe('S3 object keys', () => {
  it('puts objects under YYYY/MM/dd/HH/ in UTC when no prefix is given', () => {
    expect(dataPrefix(parsePrefix(''), ctx(AUG_27))).toBe('2018/08/27/10/');
  });

  it('appends YYYY/MM/dd/HH/ to a prefix without a timestamp expression', () => {
    expect(dataPrefix(parsePrefix('logs/'), ctx(JUL_06))).toBe('logs/2018/07/06/23/');
  });

  it('names objects <stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid><extension>', () => {
    const name = objectName('mystream', 1, ctx(JUL_06), '.gz');
    expect(name).toMatch(/^mystream-1-2018-07-06-23-05-09-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.gz$/);
  });

  it('evaluates !{timestamp:...} with quoted literals as AWS documents it', () => {
    const prefix = parsePrefix("myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/");
    expect(dataPrefix(prefix, ctx(JUL_06))).toBe('myPrefix/year=2018/month=07/day=06/hour=23/');
    const error = parsePrefix("myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/!{firehose:error-output-type}");
    expect(errorPrefix(parsePrefix(''), error, 'processing-failed', ctx(JUL_06))).toBe('myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed');
  });

  it('evaluates !{firehose:random-string} to 11 characters, new at each use', () => {
    const prefix = parsePrefix('rand=!{firehose:random-string}/again=!{firehose:random-string}/!{timestamp:yyyy}');
    const [, a, b] = /^rand=(.{11})\/again=(.{11})\/2018$/.exec(dataPrefix(prefix, ctx(AUG_27)))!;
    expect(a).not.toBe(b);
  });

  it('puts failures under <prefix><error-output-type>/YYYY/MM/dd/HH/ when no ErrorOutputPrefix is given', () => {
    expect(errorPrefix(parsePrefix(''), undefined, 'processing-failed', ctx(AUG_27))).toBe('processing-failed/2018/08/27/10/');
    expect(errorPrefix(parsePrefix('myFirehosePrefix/'), undefined, 'http-endpoint-failed', ctx(AUG_27))).toBe('myFirehosePrefix/http-endpoint-failed/2018/08/27/10/');
  });

  it('supports fractions of a second and day of year in timestamp formats', () => {
    expect(dataPrefix(parsePrefix('!{timestamp:yy-DDD HH:mm:ss.SSS}'), ctx(JUL_06))).toBe('18-187 23:05:09.042');
  });

  it('rejects expressions it cannot evaluate with a message that says what to use', () => {
    expect(() => parsePrefix('!{partitionKeyFromQuery:id}/')).toThrow(PrefixSyntaxError);
    expect(() => parsePrefix('!{firehose:unknown}')).toThrow(/random-string or error-output-type/);
    expect(() => parsePrefix('!{timestamp:EEE}')).toThrow(/letter 'E'/);
    expect(() => parsePrefix("!{timestamp:'unterminated}")).toThrow(/Unterminated quote/);
    expect(() => parsePrefix('a!{b')).toThrow(/may only start/);
  });

  it('makes version-4 UUIDs from the injected RNG, the same for the same seed', () => {
    expect(uuidFrom(seededRng(3))).toBe(uuidFrom(seededRng(3)));
    expect(uuidFrom(seededRng(3))).not.toBe(uuidFrom(seededRng(4)));
  });
});

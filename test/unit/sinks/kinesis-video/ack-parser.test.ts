import { describe, expect, it } from 'vitest';
import { AckParser, type AckParserOutput } from '../../../../src/sinks/kinesis-video/ack-parser.js';
import { seededRng } from './helpers/fake-time.js';

// Real wire samples (kvs.md §1.5).
const PERSISTED = '{"EventType":"PERSISTED","FragmentTimecode":1595833960258,"FragmentNumber":"91343852333181457151482848337893124909386799081"}';
const ERROR_4004 =
  '{"EventType":"ERROR","FragmentTimecode":0,"FragmentNumber":"91343852333181571046918222741096071001568090649","ErrorCode":"FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS","ErrorId":4004}';
const ERROR_4006 = '{"EventType":"ERROR","ErrorCode":"INVALID_MKV_DATA","ErrorId":4006}';
const BUFFERING = '{"EventType":"BUFFERING","FragmentTimecode":1595833962258,"FragmentNumber":"91343852333181457151482848337893124909386799082"}';
const IDLE = '{"EventType":"IDLE"}';

function feedAll(parser: AckParser, pieces: Array<string | Buffer>): AckParserOutput[] {
  const out: AckParserOutput[] = [];
  for (const p of pieces) out.push(...parser.feed(typeof p === 'string' ? Buffer.from(p) : p));
  out.push(...parser.end());
  return out;
}

/** Cuts `text` at random places (seeded), sometimes into single bytes. */
function randomChunks(text: string, seed: number): Buffer[] {
  const rng = seededRng(seed);
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = rng.next() < 0.3 ? 1 : 1 + Math.floor(rng.next() * 40);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe('AckParser', () => {
  it('parses the real PERSISTED sample, keeping FragmentNumber as the exact decimal string', () => {
    const [ack] = feedAll(new AckParser(), [`${PERSISTED}\n`]);
    expect(ack).toEqual({
      type: 'PERSISTED',
      fragmentTimecode: 1595833960258,
      fragmentNumber: '91343852333181457151482848337893124909386799081',
    });
  });

  it('keeps an unquoted 47-digit FragmentNumber exact instead of rounding it to a JS number', () => {
    const [ack] = feedAll(new AckParser(), ['{"EventType":"RECEIVED","FragmentTimecode":5,"FragmentNumber":91343852333181457151482848337893124909386799081}\n']);
    expect(ack).toMatchObject({ type: 'RECEIVED', fragmentNumber: '91343852333181457151482848337893124909386799081' });
    expect(typeof (ack as { fragmentNumber: unknown }).fragmentNumber).toBe('string');
  });

  it('parses ERROR ACKs with and without timecode and number', () => {
    const out = feedAll(new AckParser(), [`${ERROR_4004}\n${ERROR_4006}\n`]);
    expect(out).toEqual([
      {
        type: 'ERROR',
        errorId: 4004,
        errorCode: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
        fragmentTimecode: 0,
        fragmentNumber: '91343852333181571046918222741096071001568090649',
      },
      { type: 'ERROR', errorId: 4006, errorCode: 'INVALID_MKV_DATA' },
    ]);
  });

  it('reports IDLE keep-alives as IDLE events', () => {
    expect(feedAll(new AckParser(), [`${IDLE}\n${IDLE}\n`])).toEqual([{ type: 'IDLE' }, { type: 'IDLE' }]);
  });

  it('parses several ACKs that arrive in one chunk, with or without newlines and whitespace between them', () => {
    const out = feedAll(new AckParser(), [`${BUFFERING}${PERSISTED} \r\n\n\t ${IDLE}   ${ERROR_4006}\n`]);
    expect(out.map((a) => a.type)).toEqual(['BUFFERING', 'PERSISTED', 'IDLE', 'ERROR']);
  });

  it('parses an ACK split across chunks, down to one byte per chunk', () => {
    const parser = new AckParser();
    const out = feedAll(parser, [...Buffer.from(`${PERSISTED}\n`)].map((b) => Buffer.from([b])));
    expect(out).toEqual([{ type: 'PERSISTED', fragmentTimecode: 1595833960258, fragmentNumber: '91343852333181457151482848337893124909386799081' }]);
  });

  it('gives the same ACKs whatever the chunking (seeded random cuts)', () => {
    const stream = [BUFFERING, PERSISTED, IDLE, ERROR_4004, ERROR_4006, '{"EventType":"RECEIVED","FragmentTimecode":7,"FragmentNumber":"1","Extra":{"a":[1,{"b":"}{"}]}}']
      .map((a) => `${a}\n`)
      .join('');
    const reference = feedAll(new AckParser(), [stream]);
    expect(reference.map((a) => a.type)).toEqual(['BUFFERING', 'PERSISTED', 'IDLE', 'ERROR', 'ERROR', 'RECEIVED']);
    for (let seed = 1; seed <= 200; seed += 1) {
      expect(feedAll(new AckParser(), randomChunks(stream, seed))).toEqual(reference);
    }
  });

  it('ignores braces and escaped quotes inside strings', () => {
    const [ack] = feedAll(new AckParser(), ['{"EventType":"ERROR","ErrorCode":"odd \\"}{\\" code","ErrorId":5000}\n']);
    expect(ack).toEqual({ type: 'ERROR', errorId: 5000, errorCode: 'odd "}{" code' });
  });

  it('accepts the documented {"Acknowledgement": {...}} wrapper', () => {
    const [ack] = feedAll(new AckParser(), [`{"Acknowledgement":${PERSISTED}}\n`]);
    expect(ack).toMatchObject({ type: 'PERSISTED', fragmentTimecode: 1595833960258 });
  });

  it('reports malformed JSON with a code and goes on with the next ACK', () => {
    const out = feedAll(new AckParser(), [`{"EventType":"PERSISTED",,"FragmentTimecode":1}\n${PERSISTED}\n`]);
    expect(out[0]).toMatchObject({ type: 'MALFORMED', code: 'KVS_ACK_MALFORMED_JSON' });
    expect(out[1]).toMatchObject({ type: 'PERSISTED', fragmentTimecode: 1595833960258 });
    expect(out).toHaveLength(2);
  });

  it('reports an ACK cut off mid-string by a newline and parses the next line', () => {
    const out = feedAll(new AckParser(), [`{"EventType":"RECEI\n${PERSISTED}\n`]);
    expect(out.map((a) => a.type)).toEqual(['MALFORMED', 'PERSISTED']);
  });

  it('reports an ACK cut off between tokens when the next ACK starts on a new line', () => {
    const out = feedAll(new AckParser(), ['{"EventType":"RECEIVED",', `\n${PERSISTED}\n${IDLE}\n`]);
    expect(out.map((a) => a.type)).toEqual(['MALFORMED', 'PERSISTED', 'IDLE']);
  });

  it('reports text between ACKs that is not JSON, once per run, and keeps parsing', () => {
    const out = feedAll(new AckParser(), [`garbage here\n${PERSISTED}oops${IDLE}\n`]);
    expect(out.map((a) => (a.type === 'MALFORMED' ? `${a.type}:${a.raw}` : a.type))).toEqual([
      'MALFORMED:garbage here',
      'PERSISTED',
      'MALFORMED:oops',
      'IDLE',
    ]);
  });

  it('reports an ACK left incomplete when the response ends', () => {
    const parser = new AckParser();
    expect(parser.feed(Buffer.from('{"EventType":"PERS'))).toEqual([]);
    expect(parser.end()).toEqual([expect.objectContaining({ type: 'MALFORMED', code: 'KVS_ACK_MALFORMED_JSON' })]);
  });

  it('rejects an ERROR ACK without ErrorId (as PIC does) with KVS_ACK_MISSING_FIELD', () => {
    expect(feedAll(new AckParser(), ['{"EventType":"ERROR","ErrorCode":"X"}\n'])).toEqual([
      expect.objectContaining({ type: 'MALFORMED', code: 'KVS_ACK_MISSING_FIELD' }),
    ]);
  });

  it('rejects fragment ACKs without a timecode, unknown event types, bad field types and duplicate keys', () => {
    const out = feedAll(new AckParser(), [
      '{"EventType":"PERSISTED","FragmentNumber":"1"}\n',
      '{"EventType":"EXPLODED","FragmentTimecode":1}\n',
      '{"EventType":"PERSISTED","FragmentTimecode":"soon"}\n',
      '{"EventType":"PERSISTED","FragmentTimecode":1.5}\n',
      '{"EventType":"PERSISTED","FragmentTimecode":1,"FragmentNumber":"12a"}\n',
      '{"EventType":"PERSISTED","EventType":"ERROR","FragmentTimecode":1}\n',
      '[1,2]\n',
      `${IDLE}\n`,
    ]);
    expect(out.map((a) => (a.type === 'MALFORMED' ? a.code : a.type))).toEqual([
      'KVS_ACK_MISSING_FIELD',
      'KVS_ACK_UNKNOWN_EVENT',
      'KVS_ACK_BAD_FIELD',
      'KVS_ACK_BAD_FIELD',
      'KVS_ACK_BAD_FIELD',
      'KVS_ACK_DUPLICATE_KEY',
      'KVS_ACK_MALFORMED_JSON',
      'IDLE',
    ]);
  });

  it('drops an over-long ACK with KVS_ACK_TOO_LONG, reported once, without holding its bytes', () => {
    const parser = new AckParser({ maxAckBytes: 256 });
    const long = `{"EventType":"PERSISTED","FragmentTimecode":1,"Pad":"${'x'.repeat(10_000)}"}`;
    const out = feedAll(parser, [...randomChunks(`${long}\n${PERSISTED}\n`, 7)]);
    expect(out.map((a) => (a.type === 'MALFORMED' ? a.code : a.type))).toEqual(['KVS_ACK_TOO_LONG', 'PERSISTED']);
    expect((out[0] as { raw: string }).raw.length).toBeLessThanOrEqual(256);
  });

  it('survives a seeded stream of valid and damaged ACKs in random chunks, never losing a valid one', () => {
    const rng = seededRng(42);
    const valid: string[] = [];
    let text = '';
    for (let i = 0; i < 300; i += 1) {
      const r = rng.next();
      if (r < 0.15) text += '{"EventType":"PERSISTED","Fragm\n';
      else if (r < 0.2) text += 'junk\n';
      else if (r < 0.25) text += '{"EventType":"ERROR"}\n';
      else {
        const ack = `{"EventType":"PERSISTED","FragmentTimecode":${i},"FragmentNumber":"${'9'.repeat(40)}${i}"}`;
        valid.push(`${i}`);
        text += rng.next() < 0.5 ? `${ack}\n` : ack;
      }
    }
    const out = feedAll(new AckParser(), randomChunks(text, 99));
    const parsed = out.filter((a) => a.type === 'PERSISTED').map((a) => String((a as { fragmentTimecode: number }).fragmentTimecode));
    expect(parsed).toEqual(valid);
  });
});

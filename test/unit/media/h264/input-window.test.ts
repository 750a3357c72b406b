import { describe, expect, it } from 'vitest';
import { AnnexBAccessUnitParser, type AccessUnit } from '../../../../src/media/h264/access-units.js';
import { InputWindow } from '../../../../src/media/h264/input-window.js';
import { randomChunks, seededRng } from '../support/seeded.js';
import { readFixture, RASPIVID, X264_SAMPLE } from '../support/fixtures.js';

/** What an access unit says, with its bytes copied out (the parser's views do not outlive the next push). */
interface Snapshot {
  readonly index: number;
  readonly keyframe: boolean;
  readonly timestampMs: number;
  readonly nals: readonly string[];
}

const snapshot = (au: AccessUnit): Snapshot => ({ index: au.index, keyframe: au.keyframe, timestampMs: au.timestampMs, nals: au.nalUnits.map((n) => `${n.type}:${n.startCodeLength}:${Buffer.from(n.data).toString('base64')}`) });

const timestamps = { kind: 'frameRate', startMs: 0, fps: 25 } as const;

function parseWhole(bytes: Uint8Array): Snapshot[] {
  const parser = new AnnexBAccessUnitParser({ timestamps });
  return parser.end(parser.push(bytes)).map(snapshot);
}

/**
 * Feeds `chunks` as a socket read into one reused buffer does: each chunk is copied into the same scratch
 * buffer, which is overwritten with junk as soon as push() returns.
 */
function parseThroughReusedBuffer(chunks: readonly Uint8Array[], inputWindowBytes: number): { aus: Snapshot[]; parser: AnnexBAccessUnitParser } {
  const parser = new AnnexBAccessUnitParser({ timestamps, copyInput: true, inputWindowBytes });
  const scratch = Buffer.alloc(Math.max(...chunks.map((c) => c.length)));
  const aus: Snapshot[] = [];
  const out: AccessUnit[] = [];
  for (const chunk of chunks) {
    scratch.set(chunk);
    parser.push(scratch.subarray(0, chunk.length), out);
    aus.push(...out.map(snapshot));
    out.length = 0;
    scratch.fill(0xa5);
  }
  aus.push(...parser.end(out).map(snapshot));
  return { aus, parser };
}

describe('parsing input the caller reuses (copyInput)', () => {
  it('yields the same access units, byte for byte, when every chunk is overwritten right after push', () => {
    for (const fixture of [X264_SAMPLE, RASPIVID]) {
      const bytes = readFixture(fixture);
      const whole = parseWhole(bytes);
      for (const seed of [21, 22]) {
        // A small first window: the parser has to move and grow it many times.
        expect(parseThroughReusedBuffer(randomChunks(bytes, seededRng(seed), 40_000), 4096).aus).toEqual(whole);
      }
    }
  });

  it('keeps its window near the largest access unit plus a chunk, moving bytes instead of growing with the stream', () => {
    const bytes = readFixture(RASPIVID);
    const run = (windowBytes: number): { window: number; largestAu: number } => {
      const parser = new AnnexBAccessUnitParser({ timestamps, copyInput: true, inputWindowBytes: windowBytes });
      let largestAu = 0;
      const out: AccessUnit[] = [];
      for (const chunk of randomChunks(bytes, seededRng(5), 16_384)) {
        parser.push(chunk, out);
        for (const au of out) largestAu = Math.max(largestAu, au.byteLength);
        out.length = 0;
      }
      return { window: parser.inputWindowBytes!, largestAu };
    };
    // 1.4 MB of stream through a 64 KiB window that an access unit and a chunk always fit: it never grows.
    const roomy = run(64 * 1024);
    expect(roomy.largestAu + 16_384).toBeLessThan(64 * 1024);
    expect(roomy.window).toBe(64 * 1024);
    // A window smaller than an access unit grows to hold one (doubling), and no further.
    const small = run(4096);
    expect(small.window).toBeGreaterThanOrEqual(small.largestAu);
    expect(small.window).toBeLessThanOrEqual(4 * (small.largestAu + 16_384));
  });

  it('remembers parameter sets as copies, so they survive the input being overwritten', () => {
    const bytes = readFixture(X264_SAMPLE);
    const expected = new AnnexBAccessUnitParser({ timestamps });
    expected.end(expected.push(bytes));
    const { parser } = parseThroughReusedBuffer(randomChunks(bytes, seededRng(3), 8192), 4096);
    const sets = parser.parameterSets()!;
    expect(Buffer.from(sets.sps.data).equals(Buffer.from(expected.parameterSets()!.sps.data))).toBe(true);
    expect(sets.pps.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(expected.parameterSets()!.pps.map((p) => Buffer.from(p.data).toString('hex')));
  });
});

describe('InputWindow', () => {
  it('moves the bytes still in use to its start when full, and re-points the views to them', () => {
    const window = new InputWindow(8);
    const first = window.admit(Buffer.from('abcdef'), () => {});
    let kept: Uint8Array = first.subarray(4); // "ef" is still needed
    const second = window.admit(Buffer.from('ghij'), (move) => {
      kept = move(kept);
    });
    expect(window.capacity).toBe(8);
    expect(Buffer.from(kept).toString()).toBe('ef');
    expect(kept.buffer).toBe(second.buffer);
    expect(second.byteOffset - kept.byteOffset).toBe(2); // "ef" then "ghij", side by side
  });

  it('grows when the bytes in use and the next chunk do not fit, leaving views it does not own alone', () => {
    const window = new InputWindow(8);
    const first = window.admit(Buffer.from('abcdef'), () => {});
    const foreign = Buffer.from('xyz');
    let kept: Uint8Array = first.subarray(1);
    let other: Uint8Array = foreign;
    window.admit(Buffer.from('ghijkl'), (move) => {
      kept = move(kept);
      other = move(other);
    });
    expect(window.capacity).toBe(16);
    expect(Buffer.from(kept).toString()).toBe('bcdef');
    expect(other).toBe(foreign);
  });
});

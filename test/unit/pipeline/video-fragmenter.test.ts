import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AnnexBAccessUnitParser, lengthPrefixedPayload, parseAvcc, type AccessUnit, type NalUnit } from '../../../src/media/h264/index.js';
import { encodeCluster as encodeUnknownSizeCluster, MkvReader, type MkvEvent } from '../../../src/media/mkv/index.js';
import { GopFragmenter, type FragmenterOutput, type VideoFragment, type VideoHeader } from '../../../src/pipeline/video-fragmenter.js';

const fixture = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`../../fixtures/h264/${name}`, import.meta.url)));
/** 46 frames, IDRs at 0 and 45, SPS/PPS in front of both. */
const X264 = 'kvs-sample-x264-640x480-46frames.h264';
/** 61 frames of a Pi camera, IDRs at 0 and 60; the second IDR has no SPS/PPS of its own. */
const RASPIVID = 'raspivid-pi-camera-1080p25-61frames.h264';

interface Parsed {
  readonly aus: AccessUnit[];
  readonly parser: AnnexBAccessUnitParser;
}

function parse(name: string, startMs: number, fps = 25): Parsed {
  const parser = new AnnexBAccessUnitParser({ timestamps: { kind: 'frameRate', startMs, fps } });
  const aus = parser.push(fixture(name));
  parser.end(aus);
  return { aus, parser };
}

/** Feeds access units (with a fixed arrival time) and returns what came out, split by kind. */
function run(fragmenter: GopFragmenter, parsed: Parsed, aus: readonly AccessUnit[] = parsed.aus, flush = true): { headers: VideoHeader[]; fragments: VideoFragment[]; outputs: FragmenterOutput[] } {
  const outputs: FragmenterOutput[] = [];
  for (const au of aus) fragmenter.push(au, () => parsed.parser.parameterSets(), outputs);
  if (flush) fragmenter.flush(outputs);
  return {
    outputs,
    headers: outputs.flatMap((o) => (o.kind === 'header' ? [o.header] : [])),
    fragments: outputs.flatMap((o) => (o.kind === 'fragment' ? [o.fragment] : [])),
  };
}

function readMkv(...parts: Uint8Array[]): MkvEvent[] {
  const reader = new MkvReader();
  const events: MkvEvent[] = [];
  for (const p of parts) events.push(...reader.push(p));
  events.push(...reader.end());
  return events;
}

const T0 = 1_736_942_400_000;

describe('GOP fragmenter', () => {
  it('cuts one fragment per keyframe group, stamped with the capture time of its first frame', () => {
    const parsed = parse(X264, T0);
    const { headers, fragments, outputs } = run(new GopFragmenter(), parsed);
    expect(outputs[0]!.kind).toBe('header');
    expect(headers).toHaveLength(1);
    expect(headers[0]).toMatchObject({ width: 640, height: 480 });
    expect(fragments.map((f) => [f.timecodeMs, f.frames, f.closedBy])).toEqual([
      [T0, 45, 'keyframe'],
      [T0 + 1800, 1, 'flush'],
    ]);
    // Closed by the next keyframe: the duration is exact.
    expect(fragments[0]!.durationMs).toBe(1800);
  });

  it('writes MKV a reader accepts: the header with the avcC of the stream, then clusters of known size ending with their last block', () => {
    const parsed = parse(X264, T0);
    const { headers, fragments } = run(new GopFragmenter(), parsed);
    const events = readMkv(headers[0]!.bytes, fragments[0]!.bytes);
    const tracks = events.find((e) => e.type === 'tracks');
    expect(tracks).toBeDefined();
    const avcc = parseAvcc(headers[0]!.codecPrivate);
    expect(Buffer.from(avcc.sps[0]!)).toEqual(Buffer.from(parsed.parser.parameterSets()!.sps.data));
    const blocks = events.filter((e) => e.type === 'simpleBlock');
    expect(blocks).toHaveLength(45);
    expect(blocks[0]).toMatchObject({ keyframe: true, timecode: T0 });
    expect(blocks.slice(1).every((b) => b.type === 'simpleBlock' && !b.keyframe)).toBe(true);
    expect(events.find((e) => e.type === 'clusterStart')).toMatchObject({ timecode: T0 });
    const bytes = fragments[0]!.bytes;
    expect(bytes[4]).toBe(0x01); // an 8-byte size vint, not the unknown-size 0xFF
    expect(Number(Buffer.from(bytes).readBigUInt64BE(4) & 0x00ff_ffff_ffff_ffffn)).toBe(bytes.length - 12);
    // The same elements media/mkv writes, byte for byte, only with the size known.
    const frames = parsed.aus.slice(0, 45).map((au) => ({ timecode: au.timestampMs, keyframe: au.keyframe, payload: lengthPrefixedPayload(au.nalUnits) }));
    expect(Buffer.from(bytes.subarray(12)).equals(Buffer.from(encodeUnknownSizeCluster(T0, frames).subarray(5)))).toBe(true);
    // A known size lets a receiver see the fragment end with its last byte, not when the next one begins.
    const reader = new MkvReader();
    const pushed = [...reader.push(headers[0]!.bytes), ...reader.push(bytes)];
    expect(pushed.at(-1)).toMatchObject({ type: 'clusterEnd', timecode: T0, blockCount: 45, offset: headers[0]!.bytes.length + bytes.length });
  });

  it('copies each frame when it is pushed, so the access unit may be overwritten at once (a parser reusing its input)', () => {
    const parsed = parse(X264, T0);
    const expected = run(new GopFragmenter(), parsed).fragments.map((f) => Buffer.from(f.bytes));
    const fragmenter = new GopFragmenter();
    const outputs: FragmenterOutput[] = [];
    for (const au of parsed.aus) {
      const scratch: AccessUnit = { ...au, nalUnits: au.nalUnits.map((n) => ({ ...n, data: Buffer.from(n.data) })) };
      fragmenter.push(scratch, () => parsed.parser.parameterSets(), outputs);
      for (const n of scratch.nalUnits) (n.data as Buffer).fill(0xa5);
    }
    fragmenter.flush(outputs);
    const fragments = outputs.flatMap((o) => (o.kind === 'fragment' ? [Buffer.from(o.fragment.bytes)] : []));
    expect(fragments).toHaveLength(expected.length);
    fragments.forEach((f, i) => expect(f.equals(expected[i]!)).toBe(true));
  });

  it('drops frames until the first keyframe, since a fragment must decode on its own', () => {
    const parsed = parse(X264, T0);
    const fragmenter = new GopFragmenter();
    const { fragments } = run(fragmenter, parsed, parsed.aus.slice(10));
    expect(fragments.map((f) => f.frames)).toEqual([1]);
    expect(fragmenter.stats()).toMatchObject({ droppedWaitingForKeyframe: 35, framesIn: 36, framesInFragments: 1 });
  });

  it("builds the avcC from the parser's last parameter sets when a keyframe carries none of its own", () => {
    const parsed = parse(RASPIVID, T0);
    const { headers, fragments } = run(new GopFragmenter(), parsed);
    expect(headers).toHaveLength(1);
    expect(headers[0]).toMatchObject({ width: 1920, height: 1080 });
    expect(fragments.map((f) => f.frames)).toEqual([60, 1]);
  });

  it('emits a new stream header before the first fragment whose SPS differs (another camera mode)', () => {
    const small = parse(X264, T0);
    const large = parse(RASPIVID, T0 + 10_000);
    const fragmenter = new GopFragmenter();
    const first = run(fragmenter, small, small.aus, false);
    const second = run(fragmenter, large);
    expect(first.headers.map((h) => h.width)).toEqual([640]);
    expect(second.outputs[0]).toMatchObject({ kind: 'fragment', fragment: { timecodeMs: T0 + 1800, closedBy: 'keyframe' } });
    expect(second.outputs[1]).toMatchObject({ kind: 'header', header: { width: 1920, height: 1080 } });
    expect(fragmenter.stats().headers).toBe(2);
  });

  it('keeps timecodes increasing across fragments when the clock steps back (KVS error 4004 otherwise)', () => {
    const parsed = parse(X264, T0);
    const stepped = parse(X264, T0 - 60_000);
    const fragmenter = new GopFragmenter();
    const a = run(fragmenter, parsed);
    const b = run(fragmenter, stepped);
    const lastOfA = a.fragments.at(-1)!.timecodeMs;
    expect(b.fragments[0]!.timecodeMs).toBeGreaterThan(lastOfA);
    expect(fragmenter.stats().timestampsAdjusted).toBeGreaterThan(0);
    const blocks = readMkv(a.headers[0]!.bytes, ...a.fragments.map((f) => f.bytes), ...b.fragments.map((f) => f.bytes)).filter((e) => e.type === 'simpleBlock');
    for (let i = 1; i < blocks.length; i += 1) expect(blocks[i]!.type === 'simpleBlock' && blocks[i - 1]!.type === 'simpleBlock' && blocks[i]!.timecode > blocks[i - 1]!.timecode).toBe(true);
  });

  it('closes the open fragment on an idle flush and then waits for a keyframe, dropping what comes before it', () => {
    const parsed = parse(X264, T0);
    const fragmenter = new GopFragmenter();
    const outputs: FragmenterOutput[] = [];
    for (const au of parsed.aus.slice(0, 20)) fragmenter.push(au, undefined, outputs);
    fragmenter.flush(outputs, 'idle');
    expect(outputs.filter((o) => o.kind === 'fragment').map((o) => (o.kind === 'fragment' ? [o.fragment.frames, o.fragment.closedBy] : []))).toEqual([[20, 'idle']]);
    for (const au of parsed.aus.slice(20, 30)) fragmenter.push(au, undefined, outputs);
    expect(fragmenter.openFrames).toBe(0);
    expect(fragmenter.stats().droppedWaitingForKeyframe).toBe(10);
  });

  it('cuts a keyframe group longer than the maximum fragment duration and drops the rest of it', () => {
    const parsed = parse(X264, T0);
    const fragmenter = new GopFragmenter({ maxFragmentMs: 1_000 });
    const { fragments } = run(fragmenter, parsed);
    // 25 fps: frames at 0..960 ms fit, the frame at 1000 ms would make the fragment 1 s long.
    expect(fragments.map((f) => [f.frames, f.closedBy])).toEqual([
      [25, 'max-duration'],
      [1, 'flush'],
    ]);
    expect(fragmenter.stats().droppedWaitingForKeyframe).toBe(20);
  });

  it('drops a keyframe when no SPS/PPS was ever seen, since no avcC can describe it', () => {
    const parsed = parse(X264, T0);
    const idrOnly: NalUnit[] = parsed.aus[0]!.nalUnits.filter((n) => n.type === 5);
    const bare: AccessUnit = { ...parsed.aus[0]!, nalUnits: idrOnly };
    const fragmenter = new GopFragmenter();
    const outputs: FragmenterOutput[] = [];
    fragmenter.push(bare, undefined, outputs);
    fragmenter.push(parsed.aus[1]!, undefined, outputs);
    fragmenter.flush(outputs);
    expect(outputs).toEqual([]);
    expect(fragmenter.stats()).toMatchObject({ droppedNoParameterSets: 1, droppedWaitingForKeyframe: 1 });
  });
});

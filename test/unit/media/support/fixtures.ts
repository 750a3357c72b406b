import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

export const fixturePath = (relative: string): string => root + relative;
export const readFixture = (relative: string): Buffer => readFileSync(fixturePath(relative));

export const X264_SAMPLE = 'h264/kvs-sample-x264-640x480-46frames.h264';
export const X264_INDEX = 'h264/kvs-sample-x264-640x480-46frames.index.json';
export const RASPIVID = 'h264/raspivid-pi-camera-1080p25-61frames.h264';

export interface IndexedAccessUnit {
  readonly frame: number;
  readonly offset: number;
  readonly length: number;
  readonly nalTypes: number[];
  readonly startCodeLengths: number[];
  readonly keyframe: boolean;
}

export function readX264Index(): IndexedAccessUnit[] {
  return (JSON.parse(readFixture(X264_INDEX).toString('utf8')) as { accessUnits: IndexedAccessUnit[] }).accessUnits;
}

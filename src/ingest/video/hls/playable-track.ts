/**
 * Whether a session header can be played over HLS, and the facts the playlists and the init segment need:
 * an H.264 video track with its avcC, the picture size (from the MKV Video element, else the SPS) and the
 * RFC 6381 codec string. Anything else is refused as AWS does (UnsupportedStreamMediaType,
 * MissingCodecPrivateData, InvalidCodecPrivateData).
 */
import { parseAvcc, parseSps } from '../../../media/h264/index.js';
import { CODEC_ID_H264 } from '../../../media/mkv/index.js';
import { ServiceError } from '../../server/service-error.js';
import { missingCodecPrivateData, unsupportedMediaType } from '../errors.js';
import type { StoredHeader } from '../stream-header.js';
import { videoTrack } from './fragment-samples.js';

export interface PlayableTrack {
  readonly trackNumber: number;
  readonly avcc: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** e.g. `avc1.64001f`. */
  readonly codecs: string;
}

export function playableTrack(header: StoredHeader): PlayableTrack {
  const track = videoTrack(header);
  if (track === undefined || track.codecId !== CODEC_ID_H264) {
    throw unsupportedMediaType(`HLS plays H.264 (${CODEC_ID_H264}) video; this stream's track is ${track?.codecId ?? 'missing'}.`);
  }
  const avcc = track.codecPrivate;
  if (avcc === undefined || avcc.length === 0) throw missingCodecPrivateData('The video track has no CodecPrivate (avcC); the producer must send it in Tracks.');
  let config;
  try {
    config = parseAvcc(avcc);
  } catch (err) {
    throw new ServiceError('InvalidCodecPrivateDataException', `The video track's CodecPrivate is not a valid avcC: ${(err as Error).message}`, 400);
  }
  let { pixelWidth: width, pixelHeight: height } = track.video ?? { pixelWidth: 0, pixelHeight: 0 };
  if ((width === 0 || height === 0) && config.sps[0] !== undefined) ({ width, height } = parseSps(config.sps[0]));
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return {
    trackNumber: track.number,
    avcc,
    width,
    height,
    codecs: `avc1.${hex(config.profileIdc)}${hex(config.profileCompatibility)}${hex(config.levelIdc)}`,
  };
}

/**
 * PutMedia acknowledgements as the service writes them (kvs.md §1.5): one flat JSON object per line, each
 * line its own HTTP chunk, FragmentNumber a decimal string (too large for a JS number) and
 * FragmentTimecode the cluster Timecode exactly as sent. Built as strings: no JSON round trip per ACK.
 */

export type FragmentEvent = 'BUFFERING' | 'RECEIVED' | 'PERSISTED';

/** ErrorIds and the ErrorCode strings the Java SDK's AckErrorCode model names (kvs.md §1.5 table). */
export const AckError = {
  MaxFragmentSize: { id: 4001, code: 'MAX_FRAGMENT_SIZE_REACHED' },
  MaxFragmentDuration: { id: 4002, code: 'MAX_FRAGMENT_DURATION_REACHED' },
  MaxConnectionDuration: { id: 4003, code: 'MAX_CONNECTION_DURATION_REACHED' },
  TimecodeLesserThanPrevious: { id: 4004, code: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS' },
  InvalidMkvData: { id: 4006, code: 'INVALID_MKV_DATA' },
  StreamNotActive: { id: 4008, code: 'STREAM_NOT_ACTIVE' },
  FragmentMetadataLimit: { id: 4009, code: 'FRAGMENT_METADATA_LIMIT_REACHED' },
  TrackNumberMismatch: { id: 4010, code: 'TRACK_NUMBER_MISMATCH' },
  FramesMissingForTrack: { id: 4011, code: 'FRAMES_MISSING_FOR_TRACK' },
  MoreThanAllowedTracks: { id: 4012, code: 'MORE_THAN_ALLOWED_TRACKS_FOUND' },
  StreamDeleted: { id: 4507, code: 'STREAM_DELETED' },
  InternalError: { id: 5000, code: 'INTERNAL_ERROR' },
  ArchivalError: { id: 5001, code: 'ARCHIVAL_ERROR' },
} as const;

export type AckErrorKind = (typeof AckError)[keyof typeof AckError];

export function fragmentAck(event: FragmentEvent, fragmentTimecode: number, fragmentNumber: string): Buffer {
  return Buffer.from(`{"EventType":"${event}","FragmentTimecode":${fragmentTimecode},"FragmentNumber":"${fragmentNumber}"}\n`);
}

/** An ERROR ACK; without a fragment (e.g. MKV that breaks before any cluster) it names none, as AWS does. */
export function errorAck(error: AckErrorKind, fragment?: { readonly timecode: number; readonly number: string }): Buffer {
  const where = fragment === undefined ? '' : `"FragmentTimecode":${fragment.timecode},"FragmentNumber":"${fragment.number}",`;
  return Buffer.from(`{"EventType":"ERROR",${where}"ErrorCode":"${error.code}","ErrorId":${error.id}}\n`);
}

export function idleAck(): Buffer {
  return Buffer.from('{"EventType":"IDLE"}\n');
}

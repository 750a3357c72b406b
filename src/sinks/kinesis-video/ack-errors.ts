/**
 * What to do about each PutMedia ERROR ACK, by ErrorId (kvs.md §1.5 table). Classification lives here,
 * apart from the policy that acts on it (put-media-session / sender), as in smithy's retry design.
 *
 * - retry:     the fragment is fine; reconnect (with backoff) and send it again. Charged to the fragment, so
 *              a fragment that keeps failing is eventually skipped instead of blocking the stream forever.
 * - reconnect: the connection, not the fragment, is at fault (4003: connection too old); reconnect at once.
 * - skip:      the fragment itself is unacceptable and sending it again would fail the same way; free it
 *              with the reason recorded, and carry on with the next one.
 * - stop:      nothing this producer sends can succeed until someone changes the stream or its KMS key.
 */
export type AckErrorAction = 'retry' | 'reconnect' | 'skip' | 'stop';

export interface AckErrorClass {
  readonly errorId: number;
  readonly name: string;
  readonly action: AckErrorAction;
}

const TABLE: ReadonlyArray<readonly [number, string, AckErrorAction]> = [
  [4000, 'STREAM_READ_ERROR', 'retry'],
  [4001, 'MAX_FRAGMENT_SIZE_REACHED', 'skip'],
  [4002, 'MAX_FRAGMENT_DURATION_REACHED', 'skip'],
  [4003, 'MAX_CONNECTION_DURATION_REACHED', 'reconnect'],
  [4004, 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS', 'skip'],
  [4005, 'MORE_THAN_ONE_TRACK_FOUND', 'skip'],
  [4006, 'INVALID_MKV_DATA', 'skip'],
  [4007, 'INVALID_PRODUCER_TIMESTAMP', 'skip'],
  // Also sent while a stream is UPDATING; the sender re-describes the stream before reconnecting.
  [4008, 'STREAM_NOT_ACTIVE', 'retry'],
  [4009, 'FRAGMENT_METADATA_LIMIT_REACHED', 'skip'],
  [4010, 'TRACK_NUMBER_MISMATCH', 'skip'],
  [4011, 'FRAMES_MISSING_FOR_TRACK', 'skip'],
  [4012, 'MORE_THAN_ALLOWED_TRACKS_FOUND', 'skip'],
  [4500, 'KMS_KEY_ACCESS_DENIED', 'stop'],
  [4501, 'KMS_KEY_DISABLED', 'stop'],
  [4502, 'KMS_KEY_VALIDATION_ERROR', 'stop'],
  // Unavailable is the one KMS condition that clears by itself.
  [4503, 'KMS_KEY_UNAVAILABLE', 'retry'],
  [4504, 'KMS_KEY_INVALID_USAGE', 'stop'],
  [4505, 'KMS_KEY_INVALID_STATE', 'stop'],
  [4506, 'KMS_KEY_NOT_FOUND', 'stop'],
  [4507, 'STREAM_DELETED', 'stop'],
  [5000, 'INTERNAL_ERROR', 'retry'],
  [5001, 'ARCHIVAL_ERROR', 'retry'],
];

const BY_ID = new Map<number, AckErrorClass>(TABLE.map(([errorId, name, action]) => [errorId, { errorId, name, action }]));

/** Unknown ErrorIds are retried (charged to the fragment), the cautious choice PIC also makes (7000). */
export function classifyAckError(errorId: number): AckErrorClass {
  return BY_ID.get(errorId) ?? { errorId, name: `UNKNOWN_ERROR_${errorId}`, action: 'retry' };
}

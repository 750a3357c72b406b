import { describe, expect, it } from 'vitest';
import type { ErrorAck } from '../../../../src/sinks/kinesis-video/ack-parser.js';
import { blameFragment, decideOnErrorAck } from '../../../../src/sinks/kinesis-video/error-ack-policy.js';

const inFlight = [
  { seq: 7, fragmentTimecodeMs: 1000, received: true },
  { seq: 8, fragmentTimecodeMs: 3000, received: false },
  { seq: 9, fragmentTimecodeMs: 5000, received: false },
];
const error = (errorId: number, fragmentTimecode?: number): ErrorAck => ({ type: 'ERROR', errorId, ...(fragmentTimecode === undefined ? {} : { fragmentTimecode }) });

describe('blameFragment', () => {
  it('blames the fragment with the ACK timecode', () => {
    expect(blameFragment(error(4006, 5000), inFlight)?.seq).toBe(9);
  });

  it('without a matching timecode (absent, or the 0 some ERRORs carry), blames the fragment the service was still receiving', () => {
    expect(blameFragment(error(4006), inFlight)?.seq).toBe(8);
    expect(blameFragment(error(4004, 0), inFlight)?.seq).toBe(8);
  });

  it('falls back to the oldest in flight, and blames nothing when nothing is in flight', () => {
    expect(blameFragment(error(5000), [{ seq: 3, fragmentTimecodeMs: 1, received: true }])?.seq).toBe(3);
    expect(blameFragment(error(5000), [])).toBeUndefined();
  });
});

describe('decideOnErrorAck', () => {
  it('skips the blamed fragment for a skip-class error and reconnects', () => {
    const d = decideOnErrorAck(error(4006, 1), { attempts: 0 }, 10);
    expect(d.skipReason).toBe('the service rejected it: INVALID_MKV_DATA (ErrorId 4006)');
    expect(d.outcome).toEqual({ kind: 'reconnect', reason: 'INVALID_MKV_DATA (ErrorId 4006)' });
  });

  it('charges a retry-class error to the fragment and skips it once it reaches the limit', () => {
    expect(decideOnErrorAck(error(5000), { attempts: 1 }, 3)).toMatchObject({ attempts: 2, skipReason: undefined, outcome: { kind: 'failed' } });
    expect(decideOnErrorAck(error(5000), { attempts: 2 }, 3)).toMatchObject({ attempts: 3, skipReason: 'gave up after 3 attempts, last error INTERNAL_ERROR (ErrorId 5000)' });
  });

  it('asks for the stream to be described again after STREAM_NOT_ACTIVE (4008)', () => {
    expect(decideOnErrorAck(error(4008), undefined, 3).outcome).toMatchObject({ kind: 'failed', streamSuspect: true });
  });

  it('stops with a non-retryable error for a deleted stream or an unusable KMS key', () => {
    expect(decideOnErrorAck(error(4507), undefined, 3).outcome).toMatchObject({ kind: 'stopped', error: { code: 'KVS_STREAM_DELETED', retryable: false } });
    expect(decideOnErrorAck(error(4500), undefined, 3).outcome).toMatchObject({ kind: 'stopped', error: { code: 'KVS_KMS_ERROR', retryable: false } });
  });
});

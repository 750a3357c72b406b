import { describe, expect, it } from 'vitest';
import { classifyAckError } from '../../../../src/sinks/kinesis-video/ack-errors.js';

describe('classifyAckError', () => {
  it('skips fragments the service finds unacceptable (sending them again would fail the same way)', () => {
    for (const id of [4001, 4002, 4004, 4005, 4006, 4007, 4009, 4010, 4011, 4012]) expect(classifyAckError(id).action).toBe('skip');
  });

  it('retries transient service errors and KMS unavailability', () => {
    for (const id of [4000, 4008, 4503, 5000, 5001]) expect(classifyAckError(id).action).toBe('retry');
  });

  it('reconnects at once when the connection itself is too old (4003)', () => {
    expect(classifyAckError(4003)).toEqual({ errorId: 4003, name: 'MAX_CONNECTION_DURATION_REACHED', action: 'reconnect' });
  });

  it('stops on a deleted stream and on KMS key problems only a person can fix', () => {
    for (const id of [4500, 4501, 4502, 4504, 4505, 4506, 4507]) expect(classifyAckError(id).action).toBe('stop');
  });

  it('retries unknown ErrorIds, naming them', () => {
    expect(classifyAckError(4999)).toEqual({ errorId: 4999, name: 'UNKNOWN_ERROR_4999', action: 'retry' });
  });
});

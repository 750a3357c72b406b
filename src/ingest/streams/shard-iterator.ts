/**
 * Shard iterators: self-describing and tamper-evident, so they need no server-side table and stay valid
 * across a restart (the secret is persisted next to the journal).
 *
 *     base64( u8 version | u32 streamId | f64 streamCreatedMs | u32 shardIndex | u32 positionLo | u32 positionHi
 *             | f64 issuedMs | u8 nameLength | stream name | 16-byte HMAC-SHA256 prefix of all the above )
 *
 * `position` is the counter of the next record to return (sequence-number.ts), so an iterator means
 * "records with counter >= position" whatever has been trimmed or appended since.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const FIXED_BYTES = 34;
const MAC_BYTES = 16;

export interface IteratorPosition {
  readonly streamId: number;
  readonly streamCreatedMs: number;
  readonly streamName: string;
  readonly shardIndex: number;
  readonly position: number;
  readonly issuedMs: number;
}

export class ShardIteratorCodec {
  constructor(private readonly secret: Buffer) {}

  encode(p: IteratorPosition): string {
    const nameBytes = Buffer.byteLength(p.streamName);
    const buf = Buffer.allocUnsafe(FIXED_BYTES + nameBytes + MAC_BYTES);
    buf[0] = VERSION;
    buf.writeUInt32LE(p.streamId, 1);
    buf.writeDoubleLE(p.streamCreatedMs, 5);
    buf.writeUInt32LE(p.shardIndex, 13);
    buf.writeUInt32LE(p.position >>> 0, 17);
    buf.writeUInt32LE(Math.floor(p.position / 0x1_0000_0000), 21);
    buf.writeDoubleLE(p.issuedMs, 25);
    buf[33] = nameBytes;
    buf.write(p.streamName, FIXED_BYTES, 'utf8');
    this.mac(buf.subarray(0, FIXED_BYTES + nameBytes)).copy(buf, FIXED_BYTES + nameBytes);
    return buf.toString('base64');
  }

  /** Undefined if `iterator` was not issued by this target (malformed, tampered with, or another secret). */
  decode(iterator: string): IteratorPosition | undefined {
    const buf = Buffer.from(iterator, 'base64');
    if (buf.length < FIXED_BYTES + MAC_BYTES || buf[0] !== VERSION) return undefined;
    const nameBytes = buf[33]!;
    if (buf.length !== FIXED_BYTES + nameBytes + MAC_BYTES) return undefined;
    const signed = buf.subarray(0, FIXED_BYTES + nameBytes);
    if (!timingSafeEqual(this.mac(signed), buf.subarray(FIXED_BYTES + nameBytes))) return undefined;
    return {
      streamId: buf.readUInt32LE(1),
      streamCreatedMs: buf.readDoubleLE(5),
      shardIndex: buf.readUInt32LE(13),
      position: buf.readUInt32LE(17) + buf.readUInt32LE(21) * 0x1_0000_0000,
      issuedMs: buf.readDoubleLE(25),
      streamName: buf.toString('utf8', FIXED_BYTES, FIXED_BYTES + nameBytes),
    };
  }

  private mac(data: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(data).digest().subarray(0, MAC_BYTES);
  }
}

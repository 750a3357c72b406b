/**
 * NextTokens of ListShards and ListStreams: what the next page needs, signed with the target's secret so a
 * token can only come from us, and stamped so it expires like AWS's (300 s → ExpiredNextTokenException).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAC_BYTES = 16;

export interface PageToken<T> {
  readonly issuedMs: number;
  readonly state: T;
}

export class PageTokenCodec {
  constructor(private readonly secret: Buffer) {}

  encode<T>(kind: string, state: T, issuedMs: number): string {
    const body = Buffer.from(JSON.stringify({ k: kind, t: issuedMs, s: state }), 'utf8');
    return `${body.toString('base64url')}.${this.mac(body).toString('base64url')}`;
  }

  /** Undefined unless `token` is one of ours of this `kind`. */
  decode<T>(kind: string, token: string): PageToken<T> | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = Buffer.from(token.slice(0, dot), 'base64url');
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    if (mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.mac(body))) return undefined;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { k: string; t: number; s: T };
      return parsed.k === kind ? { issuedMs: parsed.t, state: parsed.s } : undefined;
    } catch {
      return undefined;
    }
  }

  private mac(data: Buffer): Buffer {
    return createHmac('sha256', this.secret).update('page-token\0').update(data).digest().subarray(0, MAC_BYTES);
  }
}

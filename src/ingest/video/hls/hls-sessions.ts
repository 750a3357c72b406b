/**
 * HLS streaming sessions: what GetHLSStreamingSessionURL decided, kept under a random token that the
 * playlist and segment URLs carry (the players send no signature), until the session expires.
 */
import { randomBytes } from 'node:crypto';
import type { TimestampKind } from '../archived-media.js';
import { notAuthorized } from '../errors.js';

export type PlaybackMode = 'LIVE' | 'LIVE_REPLAY' | 'ON_DEMAND';
export type ContainerFormat = 'FRAGMENTED_MP4' | 'MPEG_TS';
export type DiscontinuityMode = 'ALWAYS' | 'NEVER' | 'ON_DISCONTINUITY';

export interface HlsSession {
  readonly token: string;
  readonly streamName: string;
  readonly streamArn: string;
  readonly mode: PlaybackMode;
  readonly selector: TimestampKind;
  readonly startMs: number | undefined;
  readonly endMs: number | undefined;
  readonly container: ContainerFormat;
  readonly discontinuity: DiscontinuityMode;
  readonly displayTimestamps: boolean;
  readonly maxResults: number;
  readonly expiresAtMs: number;
}

/** Sessions kept at most; the ones expiring first make room. */
const MAX_SESSIONS = 10_000;

export class HlsSessions {
  private readonly sessions = new Map<string, HlsSession>();

  create(fields: Omit<HlsSession, 'token'>, nowMs: number): HlsSession {
    this.prune(nowMs);
    const session = { ...fields, token: randomBytes(24).toString('base64url') };
    this.sessions.set(session.token, session);
    return session;
  }

  /** The live session a URL's SessionToken names; NotAuthorizedException when unknown or expired. */
  get(token: string | null, nowMs: number): HlsSession {
    const session = token === null ? undefined : this.sessions.get(token);
    if (session === undefined) throw notAuthorized('The SessionToken is not valid; call GetHLSStreamingSessionURL for a new URL.');
    if (nowMs >= session.expiresAtMs) {
      this.sessions.delete(session.token);
      throw notAuthorized('The HLS session has expired; call GetHLSStreamingSessionURL for a new URL.');
    }
    return session;
  }

  private prune(nowMs: number): void {
    for (const [token, s] of this.sessions) if (nowMs >= s.expiresAtMs) this.sessions.delete(token);
    if (this.sessions.size < MAX_SESSIONS) return;
    const oldest = [...this.sessions.values()].sort((a, b) => a.expiresAtMs - b.expiresAtMs);
    for (const s of oldest.slice(0, this.sessions.size - MAX_SESSIONS + 1)) this.sessions.delete(s.token);
  }
}

/**
 * A raw PutMedia connection for tests: HTTP/1.1 POST /putMedia with a chunked body written piece by piece,
 * and the ACK lines collected as they stream back (each line parsed; FragmentNumber stays a string).
 */
import http from 'node:http';

export interface Ack {
  readonly EventType: string;
  readonly FragmentTimecode?: number;
  readonly FragmentNumber?: string;
  readonly ErrorId?: number;
  readonly ErrorCode?: string;
}

export interface PutMediaConnection {
  /** The response head, once it arrives. */
  readonly response: Promise<{ status: number; headers: http.IncomingHttpHeaders }>;
  readonly acks: Ack[];
  /** The body of a non-200 answer. */
  readonly errorBody: Promise<string>;
  /** Resolves when the response has ended (or the connection closed). */
  readonly ended: Promise<void>;
  write(chunk: Uint8Array): Promise<void>;
  end(): void;
  destroy(): void;
  /** Waits until `done(acks)` holds. */
  until(done: (acks: readonly Ack[]) => boolean): Promise<void>;
}

export interface PutMediaHeaders {
  readonly streamName?: string;
  readonly streamArn?: string;
  readonly timecodeType?: string;
  readonly producerStartTimestamp?: string;
  readonly extra?: Record<string, string>;
}

export function openPutMedia(endpoint: string, h: PutMediaHeaders): PutMediaConnection {
  const headers: Record<string, string> = { 'transfer-encoding': 'chunked', ...(h.extra ?? {}) };
  if (h.streamName !== undefined) headers['x-amzn-stream-name'] = h.streamName;
  if (h.streamArn !== undefined) headers['x-amzn-stream-arn'] = h.streamArn;
  if (h.timecodeType !== undefined) headers['x-amzn-fragment-timecode-type'] = h.timecodeType;
  if (h.producerStartTimestamp !== undefined) headers['x-amzn-producer-start-timestamp'] = h.producerStartTimestamp;
  return connect(http.request(`${endpoint}/putMedia`, { method: 'POST', headers, agent: false }));
}

/** Wraps an already opened request (e.g. the kedge sink's openPutMediaRequest). */
export function connect(req: http.ClientRequest): PutMediaConnection {
  const acks: Ack[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  let resolveError!: (body: string) => void;
  const errorBody = new Promise<string>((resolve) => (resolveError = resolve));
  req.on('error', () => resolveEnded());
  req.on('close', () => resolveEnded());
  const response = new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      const body: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        if (res.statusCode !== 200) {
          body.push(chunk);
          return;
        }
        pending += chunk.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line.length > 0) acks.push(JSON.parse(line) as Ack);
        }
        for (const w of [...waiters]) w();
      });
      res.on('end', () => {
        resolveError(Buffer.concat(body).toString('utf8'));
        resolveEnded();
        for (const w of [...waiters]) w();
      });
      res.on('error', () => resolveEnded());
    });
  });
  response.catch(() => {});
  let finished = false;
  void ended.then(() => (finished = true));
  return {
    response,
    acks,
    errorBody,
    ended,
    write: (chunk) =>
      new Promise((resolve) => {
        if (req.destroyed || req.writableEnded) return resolve();
        req.write(chunk, () => resolve());
      }),
    end: () => req.end(),
    destroy: () => req.destroy(),
    until: (done) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (done(acks)) {
            waiters.delete(check);
            resolve();
          } else if (finished) {
            waiters.delete(check);
            reject(new Error(`the response ended before the expected ACKs; got ${JSON.stringify(acks)}`));
          }
        };
        waiters.add(check);
        void ended.then(check);
        check();
      }),
  };
}

/** Every fragment timecode's events in order, e.g. { 1000: ['BUFFERING', 'RECEIVED', 'PERSISTED'] }. */
export function eventsByTimecode(acks: readonly Ack[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const a of acks) {
    if (a.FragmentTimecode === undefined) continue;
    out.set(a.FragmentTimecode, [...(out.get(a.FragmentTimecode) ?? []), a.EventType]);
  }
  return out;
}

export const persistedCount = (n: number) => (acks: readonly Ack[]): boolean => acks.filter((a) => a.EventType === 'PERSISTED').length >= n;
export const hasError = (acks: readonly Ack[]): boolean => acks.some((a) => a.EventType === 'ERROR');

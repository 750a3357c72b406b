/**
 * A small real HTTP server on 127.0.0.1 that behaves like KVS's PutMedia endpoint (kvs.md §1.5): it checks
 * the headers, answers 200 at once with a chunked body, reads the MKV body incrementally, and streams one
 * JSON ACK per chunk: BUFFERING when a cluster's first bytes arrive, RECEIVED and PERSISTED when it is
 * complete. Tests script misbehaviour per cluster (ERROR ACKs, silence, dropping the connection mid-cluster)
 * or per request (HTTP errors), and can take the server down (connection refused) and bring it back.
 *
 * Clusters may have a known size (complete at their last byte) or an unknown size (complete when the next
 * Cluster or Tags element starts, or the body ends, as the service sees them).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ClusterAction =
  | { readonly kind: 'ack' }
  /** Only BUFFERING and RECEIVED (a stream with no retention). */
  | { readonly kind: 'received-only' }
  | { readonly kind: 'error'; readonly errorId: number; readonly errorCode: string; readonly withTimecode?: boolean }
  /** No ACK at all for this cluster (and the connection stays open). */
  | { readonly kind: 'silent' }
  /** Destroy the connection after the cluster's first bytes arrived. */
  | { readonly kind: 'drop-mid-cluster' };

export interface ClusterContext {
  readonly connection: number;
  readonly timecode: number;
  /** How many times this timecode was seen before, over all connections. */
  readonly seenBefore: number;
}

export interface ConnectionRecord {
  readonly id: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly method: string;
  readonly path: string;
  /** The body started with an EBML header. */
  startedWithHeader: boolean | undefined;
  readonly clusters: number[];
  /** Timecodes persisted (or received, for received-only) on this connection. */
  readonly confirmed: number[];
  open: boolean;
  /** The first bytes of the body (the stream header, for tests that tell headers apart). */
  bodyPrefix: Buffer;
  /** Tags elements seen between clusters (end-of-fragment markers among them). */
  tagsElements: number;
  /** The client finished the chunked body (graceful end). */
  bodyEnded: boolean;
  protocolError: string | undefined;
}

export interface HttpRejection {
  readonly status: number;
  readonly errorType: string;
  readonly message: string;
}

export interface FakePutMediaServerOptions {
  readonly onCluster?: (ctx: ClusterContext) => ClusterAction;
  /** Answer a request with an HTTP error instead of 200 (connection number from 1). */
  readonly reject?: (connection: number) => HttpRejection | undefined;
  /** Rewrites each ACK line into the writes (HTTP chunks) that carry it: split it, add garbage... */
  readonly mangle?: (line: string) => string[];
}

const EBML_ID = 0x1a45dfa3;
const SEGMENT_ID = 0x18538067;
const CLUSTER_ID = 0x1f43b675;
const TAGS_ID = 0x1254c367;

function readVint(buf: Buffer, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } | undefined {
  if (at >= buf.length) return undefined;
  const first = buf[at]!;
  let length = 1;
  while (length <= 8 && (first & (0x80 >> (length - 1))) === 0) length += 1;
  if (length > 8) throw new Error(`invalid vint at ${at}`);
  if (at + length > buf.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = (first & (0xff >> length)) === 0xff >> length;
  for (let i = 1; i < length; i += 1) {
    value = value * 256 + buf[at + i]!;
    if (buf[at + i] !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}


class ClusterReader {
  private buffer: Buffer = Buffer.alloc(0);
  private first = true;
  /** Bytes left of the element being skipped or the cluster being read. */
  private remaining = 0;
  private inCluster: number | undefined;
  /** Timecode of an open unknown-size cluster: its children are skipped one by one. */
  private openCluster: number | undefined;

  constructor(
    private readonly onHeader: (ok: boolean) => void,
    private readonly onClusterStart: (timecode: number) => void,
    private readonly onClusterEnd: (timecode: number) => void,
    private readonly onTags: () => void = () => {},
  ) {}

  /** The body ended: an open unknown-size cluster is complete. */
  end(): void {
    if (this.openCluster === undefined) return;
    const tc = this.openCluster;
    this.openCluster = undefined;
    this.onClusterEnd(tc);
  }

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, this.buffer.length);
        this.remaining -= take;
        this.buffer = this.buffer.subarray(take);
        if (this.remaining > 0) return;
        if (this.inCluster !== undefined) {
          const tc = this.inCluster;
          this.inCluster = undefined;
          this.onClusterEnd(tc);
        }
        continue;
      }
      const id = readVint(this.buffer, 0, true);
      if (id === undefined) return;
      const size = readVint(this.buffer, id.length, false);
      if (size === undefined) return;
      const headerLength = id.length + size.length;
      if (this.first) {
        this.first = false;
        this.onHeader(id.value === EBML_ID);
      }
      if (this.openCluster !== undefined && (id.value === CLUSTER_ID || id.value === TAGS_ID || id.value === EBML_ID)) {
        const tc = this.openCluster;
        this.openCluster = undefined;
        this.onClusterEnd(tc);
      }
      if (id.value === SEGMENT_ID) {
        // Unknown size: its children follow at the top level.
        this.buffer = this.buffer.subarray(headerLength);
        continue;
      }
      if (id.value === CLUSTER_ID) {
        // Timecode element E7 follows: ID, size, value.
        const tcAt = headerLength;
        const tcSize = readVint(this.buffer, tcAt + 1, false);
        if (tcSize === undefined || this.buffer.length < tcAt + 1 + tcSize.length + tcSize.value) return;
        if (this.buffer[tcAt] !== 0xe7) throw new Error('cluster does not start with a Timecode');
        let timecode = 0;
        for (let i = 0; i < tcSize.value; i += 1) timecode = timecode * 256 + this.buffer[tcAt + 1 + tcSize.length + i]!;
        this.buffer = this.buffer.subarray(headerLength);
        if (size.unknown) this.openCluster = timecode;
        else {
          this.remaining = size.value;
          this.inCluster = timecode;
        }
        this.onClusterStart(timecode);
        continue;
      }
      if (size.unknown) throw new Error(`unknown-size element ${id.value.toString(16)}`);
      if (id.value === TAGS_ID) this.onTags();
      this.buffer = this.buffer.subarray(headerLength);
      this.remaining = size.value;
      if (this.remaining === 0) continue;
    }
  }
}

export class FakePutMediaServer {
  readonly connections: ConnectionRecord[] = [];
  /** Every confirmed (persisted or received-only) timecode, in order, over all connections. */
  readonly confirmed: number[] = [];
  private readonly seen = new Map<number, number>();
  private readonly server: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  private port = 0;
  private openRequests = 0;
  maxConcurrent = 0;
  private listeners: Array<() => void> = [];
  private fragmentCounter = 0;

  constructor(private readonly options: FakePutMediaServerOptions = {}) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.port, host: '127.0.0.1' }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening and drops every connection: clients now get ECONNREFUSED. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Called whenever something the tests wait on changes. */
  private changed(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }

  /** Resolves once `predicate` holds (checked now and after every server event). */
  async waitFor(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => this.listeners.push(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const record: ConnectionRecord = {
      id: this.connections.length + 1,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      method: req.method ?? '',
      path: req.url ?? '',
      startedWithHeader: undefined,
      clusters: [],
      confirmed: [],
      open: true,
      bodyPrefix: Buffer.alloc(0),
      tagsElements: 0,
      bodyEnded: false,
      protocolError: undefined,
    };
    this.connections.push(record);
    this.openRequests += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.openRequests);
    let closed = false;
    const onClose = (): void => {
      if (closed) return;
      closed = true;
      record.open = false;
      this.openRequests -= 1;
      this.changed();
    };
    res.on('close', onClose);
    req.on('close', onClose);

    const missing = ['x-amzn-fragment-timecode-type', 'x-amzn-producer-start-timestamp', 'authorization', 'x-amz-date'].filter((h) => req.headers[h] === undefined);
    const bothOrNeither = (req.headers['x-amzn-stream-name'] === undefined) === (req.headers['x-amzn-stream-arn'] === undefined);
    if (req.method !== 'POST' || req.url !== '/putMedia' || missing.length > 0 || bothOrNeither || req.headers['transfer-encoding'] !== 'chunked') {
      res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'InvalidArgumentException' });
      res.end(JSON.stringify({ message: `bad PutMedia request: missing ${missing.join(',')}` }));
      req.resume();
      this.changed();
      return;
    }
    const rejection = this.options.reject?.(record.id);
    if (rejection !== undefined) {
      res.writeHead(rejection.status, { 'content-type': 'application/json', 'x-amzn-ErrorType': `${rejection.errorType}:http://internal.amazon.com/coral/com.amazon.kinesisvideo.v20170930/`, 'x-amzn-RequestId': `req-${record.id}` });
      res.end(JSON.stringify({ message: rejection.message }));
      req.resume();
      this.changed();
      return;
    }

    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-RequestId': `req-${record.id}` });
    res.flushHeaders();
    const send = (ack: Record<string, unknown>): void => {
      if (res.writableEnded || res.destroyed) return;
      const line = `${JSON.stringify(ack)}\n`;
      for (const piece of this.options.mangle?.(line) ?? [line]) res.write(piece);
    };
    const actions = new Map<number, ClusterAction>();
    const reader = new ClusterReader(
      (ok) => {
        record.startedWithHeader = ok;
        this.changed();
      },
      (timecode) => {
        const seenBefore = this.seen.get(timecode) ?? 0;
        this.seen.set(timecode, seenBefore + 1);
        record.clusters.push(timecode);
        const action = this.options.onCluster?.({ connection: record.id, timecode, seenBefore }) ?? { kind: 'ack' };
        actions.set(timecode, action);
        if (action.kind === 'drop-mid-cluster') {
          req.socket.destroy();
        } else if (action.kind !== 'silent' && action.kind !== 'error') {
          send({ EventType: 'BUFFERING', FragmentTimecode: timecode, FragmentNumber: this.nextFragmentNumber() });
        }
        this.changed();
      },
      (timecode) => {
        const action = actions.get(timecode) ?? { kind: 'ack' };
        const number = this.nextFragmentNumber();
        if (action.kind === 'ack' || action.kind === 'received-only') {
          send({ EventType: 'RECEIVED', FragmentTimecode: timecode, FragmentNumber: number });
          if (action.kind === 'ack') send({ EventType: 'PERSISTED', FragmentTimecode: timecode, FragmentNumber: number });
          record.confirmed.push(timecode);
          this.confirmed.push(timecode);
        } else if (action.kind === 'error') {
          send({
            EventType: 'ERROR',
            ...(action.withTimecode === false ? {} : { FragmentTimecode: timecode, FragmentNumber: number }),
            ErrorCode: action.errorCode,
            ErrorId: action.errorId,
          });
        }
        this.changed();
      },
      () => {
        record.tagsElements += 1;
      },
    );
    req.on('data', (chunk: Buffer) => {
      if (record.bodyPrefix.length < 512) record.bodyPrefix = Buffer.concat([record.bodyPrefix, chunk]).subarray(0, 512);
      try {
        reader.push(chunk);
      } catch (error) {
        record.protocolError = (error as Error).message;
        send({ EventType: 'ERROR', ErrorCode: 'INVALID_MKV_DATA', ErrorId: 4006 });
        this.changed();
      }
    });
    req.on('end', () => {
      record.bodyEnded = true;
      reader.end();
      // The client ended the body: answer what we have and close, as the service does.
      res.end();
      this.changed();
    });
  }

  /** A ~47-digit fragment number like the service's, as a decimal string. */
  private nextFragmentNumber(): string {
    this.fragmentCounter += 1;
    return `913438523331814${String(this.fragmentCounter).padStart(32, '0')}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

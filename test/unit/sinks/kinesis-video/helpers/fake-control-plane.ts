/**
 * A small real restJson1 server for the KVS control plane (kvs.md §3): POST /describeStream,
 * /createStream, /getDataEndpoint, with the error shape the SDK reads (`x-amzn-ErrorType` + {"message"}).
 * Streams created here start CREATING and turn ACTIVE after `describesUntilActive` DescribeStream calls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeStream {
  name: string;
  arn: string;
  status: 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';
  retentionHours: number;
  mediaType: string;
  describesUntilActive: number;
}

export interface ControlPlaneCall {
  readonly op: string;
  readonly body: Record<string, unknown>;
  readonly headers: http.IncomingHttpHeaders;
}

export interface ControlPlaneFailure {
  readonly status: number;
  readonly errorType: string;
  readonly message: string;
}

export class FakeKvsControlPlane {
  readonly streams = new Map<string, FakeStream>();
  readonly calls: ControlPlaneCall[] = [];
  /** What GetDataEndpoint answers (the PutMedia server's URL). */
  dataEndpoint = 'http://127.0.0.1:1';
  /** Answer the next calls of an operation with an error (consumed one per call). */
  readonly failures = new Map<string, ControlPlaneFailure[]>();
  describesUntilActiveOnCreate = 1;
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  addStream(name: string, retentionHours = 24, status: FakeStream['status'] = 'ACTIVE'): FakeStream {
    const stream: FakeStream = {
      name,
      arn: `arn:aws:kinesisvideo:us-east-1:123456789012:stream/${name}/1736940000000`,
      status,
      retentionHours,
      mediaType: 'video/h264',
      describesUntilActive: 0,
    };
    this.streams.set(name, stream);
    return stream;
  }

  failNext(op: string, failure: ControlPlaneFailure, times = 1): void {
    const list = this.failures.get(op) ?? [];
    for (let i = 0; i < times; i += 1) list.push(failure);
    this.failures.set(op, list);
  }

  callsTo(op: string): ControlPlaneCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const op = (req.url ?? '').replace(/^\//, '');
      const body = parts.length === 0 ? {} : (JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>);
      this.calls.push({ op, body, headers: req.headers });
      const fail = (status: number, type: string, message: string): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-ErrorType': type, 'x-amzn-RequestId': 'fake' });
        res.end(JSON.stringify({ message }));
      };
      const ok = (out: unknown): void => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-RequestId': 'fake' });
        res.end(JSON.stringify(out));
      };
      const scripted = this.failures.get(op)?.shift();
      if (scripted !== undefined) {
        fail(scripted.status, scripted.errorType, scripted.message);
        return;
      }
      const byName = typeof body.StreamName === 'string' ? this.streams.get(body.StreamName) : [...this.streams.values()].find((s) => s.arn === body.StreamARN);
      switch (op) {
        case 'describeStream': {
          if (byName === undefined) return fail(404, 'ResourceNotFoundException', 'The requested stream is not found or not active.');
          if (byName.status === 'CREATING') {
            if (byName.describesUntilActive <= 0) byName.status = 'ACTIVE';
            else byName.describesUntilActive -= 1;
          }
          return ok({
            StreamInfo: {
              StreamName: byName.name,
              StreamARN: byName.arn,
              MediaType: byName.mediaType,
              Status: byName.status,
              DataRetentionInHours: byName.retentionHours,
              CreationTime: 1.736940000e9,
              Version: 'v1',
            },
          });
        }
        case 'createStream': {
          const name = String(body.StreamName);
          if (this.streams.has(name)) return fail(400, 'ResourceInUseException', 'The stream is already in use.');
          const s = this.addStream(name, Number(body.DataRetentionInHours ?? 0), 'CREATING');
          s.mediaType = String(body.MediaType ?? '');
          s.describesUntilActive = this.describesUntilActiveOnCreate;
          return ok({ StreamARN: s.arn });
        }
        case 'getDataEndpoint':
          if (byName === undefined) return fail(404, 'ResourceNotFoundException', 'The requested stream is not found or not active.');
          return ok({ DataEndpoint: this.dataEndpoint });
        default:
          return fail(404, 'UnknownOperationException', `no operation ${op}`);
      }
    });
  }
}

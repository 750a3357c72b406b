/**
 * The video producer through a bad link: the real ingest target behind a TCP proxy that can cut the
 * connection in the middle of a fragment, and the target itself stopped and restarted on the same data
 * directory while the camera keeps recording. Every captured fragment must arrive, once, with no
 * timecode error; the consumer's view is the real archived-media SDK client's ListFragments.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand, type Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startIngestTarget, type IngestTarget } from '../../src/ingest/target.js';
import { ProducerProcess } from './camera-producer-process.js';

const CREDENTIALS = { accessKeyId: 'AKIDOUTAGE', secretAccessKey: 'outage-secret' };

/**
 * A TCP proxy to 127.0.0.1:`port` that can sever every connection, or the next one mid-fragment. The target
 * names itself in GetDataEndpoint answers; the proxy rewrites that address to its own, so PutMedia comes
 * through the proxy too (same-length ports keep Content-Length right).
 */
class CuttableProxy {
  private server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private armed = false;
  private targetAddress = Buffer.alloc(0);
  private ownAddress = Buffer.alloc(0);
  cuts = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => this.connect(client));
  }

  async listen(): Promise<string> {
    for (;;) {
      await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
      const port = (this.server.address() as AddressInfo).port;
      if (String(port).length === String(this.targetPort).length) {
        this.targetAddress = Buffer.from(`127.0.0.1:${this.targetPort}`);
        this.ownAddress = Buffer.from(`127.0.0.1:${port}`);
        return `http://127.0.0.1:${port}`;
      }
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server = net.createServer((client) => this.connect(client));
    }
  }

  private rewrite(data: Buffer): Buffer {
    let at = data.indexOf(this.targetAddress);
    if (at < 0) return data;
    const out = Buffer.from(data);
    for (; at >= 0; at = out.indexOf(this.targetAddress, at + 1)) this.ownAddress.copy(out, at);
    return out;
  }

  /** The next client write of a fragment's size is forwarded only in half, then both sides are cut. */
  cutMidFragment(): void {
    this.armed = true;
  }

  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.destroyAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
    }
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', cut);
    upstream.on('close', cut);
    upstream.on('data', (d: Buffer) => client.write(this.rewrite(d)));
    client.on('data', (d: Buffer) => {
      if (this.armed && d.length > 2_000) {
        this.armed = false;
        this.cuts += 1;
        upstream.write(d.subarray(0, d.length >> 1), cut);
        return;
      }
      upstream.write(d);
    });
  }
}

async function listFragments(url: string, streamName: string): Promise<Fragment[]> {
  const media = new KinesisVideoArchivedMediaClient({ region: 'us-east-1', endpoint: url, credentials: CREDENTIALS });
  try {
    const fragments: Fragment[] = [];
    let token: string | undefined;
    do {
      const page = await media.send(new ListFragmentsCommand({ StreamName: streamName, ...(token === undefined ? {} : { NextToken: token }) }));
      fragments.push(...(page.Fragments ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    return fragments;
  } finally {
    media.destroy();
  }
}

function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (predicate() ? resolve() : void setTimeout(check, 25));
    check();
  });
}

describe('video producer through link cuts and a target restart', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('delivers every fragment exactly once, in order and without timecode errors, while the camera keeps running', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kedge-outage-target-'));
    const storeDir = mkdtempSync(join(tmpdir(), 'kedge-outage-store-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }), () => rmSync(storeDir, { recursive: true, force: true }));
    const logger = pino({ level: 'silent' });
    let target: IngestTarget | undefined = await startIngestTarget({ port: 0, host: '127.0.0.1', dataDir, logger });
    const port = target.port;
    cleanups.push(async () => target?.close());
    const proxy = new CuttableProxy(port);
    const proxyUrl = await proxy.listen();
    cleanups.push(() => proxy.close());

    // The producer runs in its own process: whatever it does, this test stays able to time out and clean up.
    const producer = await ProducerProcess.start({
      streamName: 'outage-cam',
      source: 'test',
      capture: { gopSeconds: 1, width: 160, height: 120 },
      aws: { region: 'us-east-1', endpoint: proxyUrl, credentials: CREDENTIALS },
      create: { retentionHours: 1 },
      store: { dir: storeDir, fsync: 'never' },
      delivery: { backoff: { baseMs: 100, capMs: 800 } },
    });
    cleanups.push(() => producer.close());
    const { events } = producer;
    const stored = (): number[] => events.flatMap((e) => (e.type === 'fragment-stored' ? [e.timecodeMs] : []));
    const persisted = (): number => events.filter((e) => e.type === 'fragment-persisted').length;

    // Streaming, with nothing in flight: the next large write is the next fragment.
    await until(() => persisted() >= 2 && persisted() === stored().length);
    proxy.cutMidFragment();
    await until(() => proxy.cuts === 1);
    const afterCut = stored().length;
    await until(() => persisted() >= afterCut + 1);

    // The target goes away for a while; the camera keeps recording into the store.
    proxy.destroyAll();
    await target.close();
    target = undefined;
    const whenDown = stored().length;
    await until(() => stored().length >= whenDown + 3);
    target = await startIngestTarget({ port, host: '127.0.0.1', dataDir, logger });
    const whenUp = stored().length;
    await until(() => stored().length >= whenUp + 2);

    await producer.stopCapture();
    const result = await producer.flush(60_000);
    expect(result).toMatchObject({ evicted: 0, skipped: 0, dropped: 0, corrupt: 0 });

    const captured = stored();
    const listed = (await listFragments(target.url, 'outage-cam')).map((f) => f.ProducerTimestamp!.getTime()).sort((a, b) => a - b);
    expect(listed).toEqual(captured);
    expect(events.filter((e) => e.type === 'ack-error')).toEqual([]);
    expect(events.some((e) => e.type === 'reconnecting')).toBe(true);
    const stats = await producer.stats();
    expect(stats.fragments).toMatchObject({ captured: captured.length, stored: captured.length, persisted: captured.length, pending: 0 });
    expect(stats.camera.restarts).toBe(0);
  });
});

/**
 * The peer harnesses keep the workplace rule (servers listen on 127.0.0.1 only) and clean up after themselves.
 * Listening sockets are found the way `ss -ltnp` finds them: the process's socket inodes (/proc/PID/fd) matched
 * against the LISTEN rows of /proc/net/tcp and /proc/net/tcp6.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { startKinesisLocal } from './kinesis-local.js';
import { startKinesalite } from './kinesalite.js';
import { kinesisClient } from './clients.js';

const TCP_LISTEN = '0A';

/** `address:port` of every TCP socket process `pid` listens on, from /proc (Linux). */
async function listeningAddresses(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1] as string);
  }
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8')).trim().split('\n').slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      const [local, , state] = [cols[1] as string, cols[2], cols[3]];
      if (state !== TCP_LISTEN || !inodes.has(cols[9] as string)) continue;
      const [hexAddress, hexPort] = local.split(':') as [string, string];
      found.push(`${decodeAddress(hexAddress)}:${parseInt(hexPort, 16)}`);
    }
  }
  return found.sort();
}

/** /proc/net/tcp stores IPv4 addresses as little-endian hex; anything longer is IPv6 (kept as hex). */
function decodeAddress(hex: string): string {
  if (hex.length !== 8) return `[${hex}]`;
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('peer harnesses', () => {
  it('starts kinesis-local listening on 127.0.0.1 only, although its code binds 0.0.0.0', async () => {
    const peer = await startKinesisLocal();
    try {
      const port = Number(new URL(peer.url).port);
      const addresses = await listeningAddresses(peer.pid as number);
      expect(addresses).toHaveLength(2); // the plain port and the TLS port
      expect(addresses).toContain(`127.0.0.1:${port}`);
      for (const a of addresses) expect(a).toMatch(/^127\.0\.0\.1:\d+$/);
      const client = kinesisClient(peer.url, { http: '1.1' });
      expect((await client.send(new ListStreamsCommand({}))).StreamNames).toEqual([]);
      client.destroy();
    } finally {
      await peer.close();
    }
    expect(isAlive(peer.pid as number)).toBe(false);
  }, 60_000);

  it('starts kinesalite as a child listening on 127.0.0.1 and stops it on close', async () => {
    const peer = await startKinesalite({ mode: 'child' });
    try {
      expect(await listeningAddresses(peer.pid as number)).toEqual([`127.0.0.1:${new URL(peer.url).port}`]);
      const client = kinesisClient(peer.url, { http: '1.1' });
      expect((await client.send(new ListStreamsCommand({}))).StreamNames).toEqual([]);
      client.destroy();
    } finally {
      await peer.close();
    }
    expect(isAlive(peer.pid as number)).toBe(false);
  }, 30_000);

  it('moves every form of listen() to 127.0.0.1 when the loopback preload is loaded', async () => {
    const preload = fileURLToPath(new URL('./loopback-only.cjs', import.meta.url));
    const script = `
      const net = require('node:net'), http2 = require('node:http2');
      const forms = [(s, cb) => s.listen(0, '0.0.0.0', cb), (s, cb) => s.listen(0, cb), (s, cb) => s.listen({ port: 0, host: '::' }, cb), (s, cb) => s.listen('0', '0.0.0.0', 511, cb)];
      (async () => {
        const out = [];
        for (const listen of forms) for (const make of [() => net.createServer(), () => http2.createServer()]) {
          const s = make();
          await new Promise((r) => listen(s, r));
          out.push(s.address().address);
          await new Promise((r) => s.close(r));
        }
        process.stdout.write(JSON.stringify(out));
      })();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', preload, '-e', script], { timeout: 10_000 });
    expect(JSON.parse(stdout)).toEqual(Array(8).fill('127.0.0.1'));
  });
});

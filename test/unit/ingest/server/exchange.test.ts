import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, RequestAbortedError, collectBody, declaredLength, splitTarget, writeStreamingBody } from '../../../../src/ingest/server/exchange.js';

describe('collectBody', () => {
  it('returns every chunk of the body in order', async () => {
    const stream = new PassThrough();
    const body = collectBody(stream, 100, undefined);
    stream.write('ab');
    stream.write('cd');
    stream.end('e');
    expect((await body).toString()).toBe('abcde');
  });

  it('refuses a declared Content-Length over the limit without reading anything', async () => {
    const stream = new PassThrough();
    stream.write('x');
    await expect(collectBody(stream, 10, 11)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(stream.listenerCount('data')).toBe(0);
    expect(stream.readableLength).toBe(1);
  });

  it('stops as soon as an undeclared body grows past the limit and stops listening', async () => {
    const stream = new PassThrough();
    const body = collectBody(stream, 4, undefined);
    stream.write('abc');
    stream.write('de');
    await expect(body).rejects.toMatchObject({ name: 'BodyTooLargeError', limit: 4 });
    expect(stream.listenerCount('data')).toBe(0);
  });

  it('accepts a body of exactly the limit', async () => {
    const stream = new PassThrough();
    const body = collectBody(stream, 4, 4);
    stream.end('abcd');
    expect((await body).length).toBe(4);
  });

  it('rejects with RequestAbortedError when the stream closes or fails mid-body', async () => {
    const closed = new PassThrough();
    const a = collectBody(closed, 100, undefined);
    closed.write('partial');
    closed.destroy();
    await expect(a).rejects.toBeInstanceOf(RequestAbortedError);

    const failed = new PassThrough();
    const b = collectBody(failed, 100, undefined);
    failed.destroy(new Error('ECONNRESET'));
    await expect(b).rejects.toBeInstanceOf(RequestAbortedError);
  });
});

describe('request targets', () => {
  it('keeps the path percent-encoded and splits off the query', () => {
    const { path, query } = splitTarget('/a%20b/c?X-Amz-Date=1&x=%2B');
    expect(path).toBe('/a%20b/c');
    expect(query.get('X-Amz-Date')).toBe('1');
    expect(query.get('x')).toBe('+');
  });

  it('accepts absolute-form targets and drops fragments', () => {
    expect(splitTarget('http://127.0.0.1:4567/x?y=1#frag').path).toBe('/x');
    expect(splitTarget('http://127.0.0.1:4567').path).toBe('/');
    expect(splitTarget('/p#q?r').query.has('r')).toBe(false);
  });

  it('reads a Content-Length only when it is a plain decimal', () => {
    expect(declaredLength('42')).toBe(42);
    expect(declaredLength(' 7 ')).toBe(7);
    expect(declaredLength('-1')).toBeUndefined();
    expect(declaredLength('1e3')).toBeUndefined();
    expect(declaredLength(undefined)).toBeUndefined();
  });
});

describe('writeStreamingBody', () => {
  it('writes every chunk and ends the target', async () => {
    const out: string[] = [];
    const target = new Writable({ write: (chunk, _enc, cb) => { out.push(String(chunk)); cb(); } });
    async function* source() {
      yield Buffer.from('a');
      yield Buffer.from('b');
    }
    await writeStreamingBody(target, source());
    expect(out).toEqual(['a', 'b']);
    expect(target.writableEnded).toBe(true);
  });

  it('stops the source when the peer goes away while it waits for drain', async () => {
    // highWaterMark 1 and a write that never completes: the first write fills the buffer.
    const target = new Writable({ highWaterMark: 1, write: () => {} });
    let stopped = false;
    let produced = 0;
    async function* source() {
      try {
        for (;;) {
          produced++;
          yield Buffer.from('xx');
        }
      } finally {
        stopped = true;
      }
    }
    const writing = writeStreamingBody(target, source());
    await new Promise((resolve) => setImmediate(resolve));
    target.destroy();
    await writing;
    expect(stopped).toBe(true);
    expect(produced).toBe(1);
  });
});

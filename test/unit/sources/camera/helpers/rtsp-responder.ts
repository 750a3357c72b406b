/**
 * A tiny RTSP server on 127.0.0.1 that answers OPTIONS with 200 and every other method with a fixed
 * status (404, 401...): enough for ffmpeg to run its real RTSP client and report the real error text.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RtspResponder {
  readonly url: (path: string) => string;
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startRtspResponder(status: string): Promise<RtspResponder> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const request = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        requests.push(request.split('\r\n')[0]!);
        const cseq = /CSeq:\s*(\d+)/i.exec(request)?.[1] ?? '1';
        if (request.startsWith('OPTIONS')) {
          socket.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n`);
        } else {
          const auth = status.startsWith('401') ? 'WWW-Authenticate: Basic realm="camera"\r\n' : '';
          socket.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${auth}\r\n`);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `rtsp://127.0.0.1:${port}/${path}`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

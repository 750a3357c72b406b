/**
 * The request handler our AWS SDK clients use (Firehose, and a Kinesis client when the caller asks for
 * the SDK path): HTTP/1.1 over keep-alive connections. The Kinesis client's own default is HTTP/2
 * with `disableConcurrentStreams: true` (made for SubscribeToShard), which opens a new connection, and
 * against AWS a new TLS handshake, for every PutRecords. A producer sends thousands of requests;
 * reusing a few warm connections is what it needs, and every peer speaks HTTP/1.1.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export function keepAliveHandler(maxSockets = 8): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
  });
}

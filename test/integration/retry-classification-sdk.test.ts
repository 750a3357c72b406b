/**
 * classifyError on what the real AWS SDK v3 Kinesis client throws, against a scripted HTTP server on
 * 127.0.0.1: the error names, $metadata and $retryable the SDK builds from real responses, and the
 * socket errors of a refused or reset connection.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError } from '../../src/retry/classify.js';
import { kinesisClient } from '../peers/clients.js';

interface Scripted {
  status: number;
  type?: string;
  message?: string;
  reset?: boolean;
}

let server: Server;
let url: string;
let next: Scripted = { status: 200 };

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (next.reset) {
        request.socket.destroy();
        return;
      }
      const body = next.type ? JSON.stringify({ __type: next.type, message: next.message ?? 'scripted' }) : '{}';
      response.writeHead(next.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function sdkErrorFor(scripted: Scripted, endpoint = url): Promise<unknown> {
  next = scripted;
  // HTTP/1.1 (the scripted server's protocol); one attempt, so the SDK's own retries stay out.
  const client = kinesisClient(endpoint, { http: '1.1', maxAttempts: 1 });
  try {
    await client.send(new PutRecordsCommand({ StreamName: 's', Records: [{ Data: Buffer.from('x'), PartitionKey: 'k' }] }));
  } catch (error) {
    return error;
  } finally {
    client.destroy();
  }
  throw new Error('the SDK call succeeded');
}

describe('classifyError on real SDK exceptions', () => {
  it.each([
    [400, 'ProvisionedThroughputExceededException', 'throttled'],
    [400, 'KMSThrottlingException', 'throttled'],
    [400, 'ResourceNotFoundException', 'configuration'],
    [400, 'KMSDisabledException', 'configuration'],
    [400, 'AccessDeniedException', 'configuration'],
    [400, 'InvalidArgumentException', 'configuration'],
    [500, 'InternalFailure', 'transient'],
  ])('HTTP %i %s from the service is %s', async (status, type, expected) => {
    const error = await sdkErrorFor({ status, type });
    expect((error as Error).name).toBe(type);
    expect(classifyError(error).errorClass).toBe(expected);
  });

  it('an HTTP 503 with an error type the SDK does not model is transient', async () => {
    const error = await sdkErrorFor({ status: 503, type: 'SomethingUnmodelled' });
    expect(classifyError(error).errorClass).toBe('transient');
  });

  it('a connection reset mid-request is transient', async () => {
    const error = await sdkErrorFor({ status: 200, reset: true });
    expect(classifyError(error)).toMatchObject({ errorClass: 'transient', recognized: true });
  });

  it('a refused connection is transient (ECONNREFUSED)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await sdkErrorFor({ status: 200 }, `http://127.0.0.1:${port}`);
    expect(classifyError(error)).toMatchObject({ errorClass: 'transient', code: 'ECONNREFUSED' });
  });
});

/** The Firehose sink's service part against the real ingest target: PutRecordBatch outcomes and errors. */
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyError } from '../../../../src/retry/classify.js';
import { FirehoseTransport, readBatchOutcomes } from '../../../../src/sinks/firehose/index.js';
import { seededRng } from '../../../helpers/seeded-rng.js';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION, type TestTarget } from '../../../helpers/target.js';

let target: TestTarget | undefined;
const transports: FirehoseTransport[] = [];

afterEach(async () => {
  for (const t of transports.splice(0)) t.destroy();
  await target?.close();
  target = undefined;
});

function transport(url: string, name: string): FirehoseTransport {
  const t = new FirehoseTransport({ deliveryStreamName: name, aws: { endpoint: url, region: TEST_REGION, credentials: TEST_CREDENTIALS } });
  transports.push(t);
  return t;
}

describe('Firehose transport', () => {
  it('reports each record of a PutRecordBatch: accepted, or failed with ServiceUnavailableException (a throttle)', async () => {
    target = await startTestTarget({ memory: true, faultRate: 0.3, rng: seededRng(4) });
    await target.firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'logs',
        ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/f', BucketARN: 'arn:aws:s3:::kedge-bucket', BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } },
      }),
    );
    const outcomes = await transport(target.url, 'logs').send(Array.from({ length: 100 }, (_, i) => ({ data: Buffer.from(`line ${i}\n`) })));
    expect(outcomes).toHaveLength(100);
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed.length).toBeGreaterThan(5);
    expect(failed.length).toBeLessThan(100);
    for (const o of failed) {
      if (o.ok) continue;
      expect(o.errorCode).toBe('ServiceUnavailableException');
    }
  });

  it('a missing delivery stream is a configuration error; a short response is a transient mismatch', async () => {
    target = await startTestTarget({ memory: true });
    const error = await transport(target.url, 'missing').send([{ data: Buffer.from('x') }]).catch((e: unknown) => e);
    expect(classifyError(error)).toMatchObject({ errorClass: 'configuration', code: 'ResourceNotFoundException' });
    expect(() => readBatchOutcomes(2, [{ RecordId: 'a' }])).toThrow(expect.objectContaining({ code: 'SINK_RESPONSE_MISMATCH' }));
  });
});

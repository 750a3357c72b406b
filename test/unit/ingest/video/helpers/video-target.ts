/**
 * The real ingest target with the unmodified Kinesis Video SDK clients pointed at it: the control-plane
 * client at the target URL, and the media and archived-media clients at the endpoint GetDataEndpoint
 * returns for them (the target's own URL), as an application would wire them.
 */
import { GetDataEndpointCommand, KinesisVideoClient, type APIName } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import type { IngestTargetOptions } from '../../../../../src/ingest/target.js';
import { startTestTarget, TEST_CREDENTIALS, TEST_REGION, type TestTarget } from '../../../../helpers/target.js';

export interface VideoTarget {
  readonly t: TestTarget;
  readonly url: string;
  readonly kvs: KinesisVideoClient;
  endpoint(streamName: string, api: APIName): Promise<string>;
  media(streamName: string): Promise<KinesisVideoMediaClient>;
  archived(streamName: string): Promise<KinesisVideoArchivedMediaClient>;
  close(): Promise<void>;
}

export async function startVideoTarget(opts: IngestTargetOptions = {}): Promise<VideoTarget> {
  const t = await startTestTarget(opts);
  const common = { region: TEST_REGION, credentials: opts.auth?.[0] ?? TEST_CREDENTIALS };
  const kvs = new KinesisVideoClient({ ...common, endpoint: t.url });
  const clients: { destroy(): void }[] = [kvs];
  const endpoint = async (streamName: string, api: APIName): Promise<string> =>
    (await kvs.send(new GetDataEndpointCommand({ StreamName: streamName, APIName: api }))).DataEndpoint!;
  return {
    t,
    url: t.url,
    kvs,
    endpoint,
    media: async (name) => {
      const c = new KinesisVideoMediaClient({ ...common, endpoint: await endpoint(name, 'GET_MEDIA') });
      clients.push(c);
      return c;
    },
    archived: async (name) => {
      const c = new KinesisVideoArchivedMediaClient({ ...common, endpoint: await endpoint(name, 'LIST_FRAGMENTS') });
      clients.push(c);
      return c;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      await t.close();
    },
  };
}

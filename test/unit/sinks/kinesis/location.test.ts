/**
 * The Kinesis sink builds its endpoint and region without an SDK client. Requirement: it resolves them
 * as @aws-sdk/client-kinesis does, so a device configured for the AWS CLI works unchanged. The SDK's
 * own endpoint resolver is the oracle; region and FIPS/dual-stack settings come from the same places
 * (environment, ~/.aws/config) through the SDK's config loader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEndpoint } from '../../../../src/aws/endpoint.js';
import { classifyError } from '../../../../src/retry/classify.js';
import { locateService, requestCredentials, serviceUrl } from '../../../../src/sinks/kinesis/location.js';
import { FIREHOSE_SERVICE, KINESIS_SERVICE } from '../../../../src/sinks/kinesis/services.js';

/** Regions of every partition the SDK knows, and names no partition lists yet (they fall to a pattern or to `aws`). */
const REGIONS = [
  'us-east-1', 'eu-central-1', 'ap-southeast-7', 'mx-central-1', 'il-central-1', 'ap-southeast-9',
  'cn-north-1', 'cn-northwest-1', 'cn-south-7',
  'us-gov-west-1', 'us-gov-east-1', 'us-gov-north-3',
  'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'us-isof-east-2',
  'eusc-de-east-1', 'eusc-de-west-2', 'xx-foo-1',
];

describe('the Kinesis endpoint of a region', () => {
  const sdk = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const variants = [
    { fips: false, dualStack: false },
    { fips: true, dualStack: false },
    { fips: false, dualStack: true },
    { fips: true, dualStack: true },
  ];

  it.each(REGIONS)('is the one the SDK resolves for %s, in every FIPS and dual-stack variant', (region) => {
    for (const variant of variants) {
      const expected = sdk.config.endpointProvider({ Region: region, UseFIPS: variant.fips, UseDualStack: variant.dualStack, OperationType: 'data' }).url.href;
      expect(`${serviceUrl(KINESIS_SERVICE, region, variant)}/`, JSON.stringify({ region, ...variant })).toBe(expected);
    }
  });

  it.each(REGIONS)('is, for Firehose, the one its SDK resolves for %s, in every variant', (region) => {
    const firehose = new FirehoseClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    for (const variant of variants) {
      const expected = firehose.config.endpointProvider({ Region: region, UseFIPS: variant.fips, UseDualStack: variant.dualStack }).url.href;
      expect(`${serviceUrl(FIREHOSE_SERVICE, region, variant)}/`, JSON.stringify({ region, ...variant })).toBe(expected);
    }
    firehose.destroy();
  });

  it('refuses a region name that cannot be part of a host name, saying what one looks like', () => {
    expect(() => serviceUrl(KINESIS_SERVICE, 'Frankfurt', {})).toThrow(expect.objectContaining({ code: 'AWS_INVALID_REGION', message: expect.stringContaining('eu-central-1') }));
  });
});

const locateKinesis = (options: Parameters<typeof locateService>[1]) => locateService(KINESIS_SERVICE, options);

/**
 * No ambient AWS setup of the machine running the tests may leak in, and no instance-metadata lookups:
 * every AWS variable the SDK reads is cleared and the shared files point into a fresh temp dir.
 */
function isolatedAwsEnvironment(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kedge-location-'));
  for (const name of AMBIENT_AWS_VARIABLES) vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
  return dir;
}

const AMBIENT_AWS_VARIABLES = [
  'AWS_REGION', 'AWS_PROFILE', 'AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_KINESIS',
  'AWS_ENDPOINT_URL_FIREHOSE', 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

describe('where the sink sends its requests', () => {
  let dir: string;
  beforeEach(() => {
    dir = isolatedAwsEnvironment();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses the region and endpoint given', async () => {
    const target = await locateKinesis({ region: 'eu-west-1', endpoint: 'https://vpce-1.kinesis.eu-west-1.vpce.amazonaws.com' });
    expect(target).toMatchObject({ region: 'eu-west-1', endpoint: { protocol: 'https:', host: 'vpce-1.kinesis.eu-west-1.vpce.amazonaws.com', port: 443 } });
  });

  it('signs for us-east-1 against a local plain-HTTP target when no region is given or configured', async () => {
    const target = await locateKinesis({ endpoint: 'http://127.0.0.1:4567' });
    expect(target).toMatchObject({ region: 'us-east-1', endpoint: { protocol: 'http:', host: '127.0.0.1:4567' } });
    // A configured region is used, as the AWS CLI uses it with --endpoint-url (a local emulator may keep state per region).
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    expect(await locateKinesis({ endpoint: 'http://127.0.0.1:4567' })).toMatchObject({ region: 'eu-west-1' });
  });

  it('takes the region from AWS_REGION, and the FIPS and dual-stack variants from the environment', async () => {
    vi.stubEnv('AWS_REGION', 'ca-central-1');
    expect((await locateKinesis({})).endpoint.host).toBe('kinesis.ca-central-1.amazonaws.com');
    vi.stubEnv('AWS_USE_FIPS_ENDPOINT', 'true');
    vi.stubEnv('AWS_USE_DUALSTACK_ENDPOINT', 'true');
    expect((await locateKinesis({})).endpoint.host).toBe('kinesis-fips.ca-central-1.api.aws');
  });

  it("takes the region and FIPS setting from the AWS_PROFILE's section of the config file", async () => {
    writeFileSync(join(dir, 'config'), '[default]\nregion = us-west-2\n\n[profile drone]\nregion = eu-north-1\nuse_fips_endpoint = true\n');
    expect(await locateKinesis({})).toMatchObject({ region: 'us-west-2', endpoint: { host: 'kinesis.us-west-2.amazonaws.com' } });
    vi.stubEnv('AWS_PROFILE', 'drone');
    expect(await locateKinesis({})).toMatchObject({ region: 'eu-north-1', endpoint: { host: 'kinesis-fips.eu-north-1.amazonaws.com' } });
  });

  it('prefers the region given to AWS_REGION and the profile, and still honours the FIPS setting', async () => {
    writeFileSync(join(dir, 'config'), '[default]\nregion = us-west-2\n');
    vi.stubEnv('AWS_REGION', 'ca-central-1');
    vi.stubEnv('AWS_USE_FIPS_ENDPOINT', 'true');
    expect(await locateKinesis({ region: 'eu-west-3' })).toMatchObject({ region: 'eu-west-3', endpoint: { host: 'kinesis-fips.eu-west-3.amazonaws.com' } });
  });

  it.each([
    ['fips-us-east-2', 'us-east-2'],
    ['us-east-2-fips', 'us-east-2'],
    ['fips-us-gov-west-1', 'us-gov-west-1'],
  ])('reads the FIPS pseudo-region %s as %s with the FIPS endpoint, as the SDK does', async (named, real) => {
    const sdk = new KinesisClient({ region: named, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const expected = sdk.config.endpointProvider({ Region: await sdk.config.region(), UseFIPS: await sdk.config.useFipsEndpoint(), UseDualStack: false, OperationType: 'data' }).url.host;
    const target = await locateKinesis({ region: named });
    expect(target.region).toBe(real);
    expect(target.endpoint.host).toBe(expected);
  });

  it('sends to the endpoint configured for Kinesis outside the program, as the SDK and the AWS CLI do', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ENDPOINT_URL', 'https://all.example.test');
    expect((await locateKinesis({})).endpoint.host).toBe('all.example.test');
    vi.stubEnv('AWS_ENDPOINT_URL_KINESIS', 'https://kinesis.example.test:8443');
    expect((await locateKinesis({})).endpoint.host).toBe('kinesis.example.test:8443');
    // The option wins over both; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns them off.
    expect((await locateKinesis({ endpoint: 'https://given.example.test' })).endpoint.host).toBe('given.example.test');
    // Firehose reads its own variable, and the general one.
    expect((await locateService(FIREHOSE_SERVICE, {})).endpoint.host).toBe('all.example.test');
    vi.stubEnv('AWS_ENDPOINT_URL_FIREHOSE', 'https://firehose.example.test');
    expect((await locateService(FIREHOSE_SERVICE, {})).endpoint.host).toBe('firehose.example.test');
    vi.stubEnv('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', 'true');
    expect((await locateKinesis({})).endpoint.host).toBe('kinesis.eu-west-1.amazonaws.com');
    expect((await locateService(FIREHOSE_SERVICE, {})).endpoint.host).toBe('firehose.eu-west-1.amazonaws.com');
  });

  it("reads a profile's endpoint_url and its services section", async () => {
    writeFileSync(
      join(dir, 'config'),
      '[default]\nregion = eu-west-1\nendpoint_url = https://profile.example.test\n\n[profile edge]\nregion = eu-west-1\nservices = local\n\n[services local]\nkinesis =\n  endpoint_url = http://127.0.0.1:4567\n',
    );
    expect((await locateKinesis({})).endpoint.host).toBe('profile.example.test');
    vi.stubEnv('AWS_PROFILE', 'edge');
    expect(await locateKinesis({})).toMatchObject({ region: 'eu-west-1', endpoint: { protocol: 'http:', host: '127.0.0.1:4567' } });
  });

  it('refuses with AWS_REGION_MISSING, saying where a region can be set, when there is none', async () => {
    await expect(locateKinesis({})).rejects.toMatchObject({ code: 'AWS_REGION_MISSING', message: expect.stringContaining('AWS_REGION') });
    const error = await locateKinesis({ endpoint: 'https://kinesis.example.test' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AWS_REGION_MISSING' });
    // A person must set it: the producer parks the data and reports, it does not retry in a loop.
    expect(classifyError(error).errorClass).toBe('configuration');
  });
});

describe('the credentials the sink signs with', () => {
  const at = (url: string) => (): Promise<{ region: string; endpoint: ReturnType<typeof parseEndpoint> }> => Promise.resolve({ region: 'eu-west-1', endpoint: parseEndpoint(url) });
  const region = at('https://kinesis.eu-west-1.amazonaws.com');
  let dir: string;
  beforeEach(() => {
    dir = isolatedAwsEnvironment();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    vi.unstubAllEnvs();
    vi.useRealTimers();
  });

  it('are the fixed ones given', async () => {
    const fixed = { accessKeyId: 'AKIDFIXED', secretAccessKey: 'secret' };
    expect(await requestCredentials({ credentials: fixed }, region)()).toEqual(fixed);
  });

  it('come from the provider given, kept until five minutes before they expire, as an SDK client keeps them', async () => {
    let now = Date.now();
    let calls = 0;
    const provider = vi.fn(async () => {
      calls++;
      return { accessKeyId: `AKIDROTATED${calls}`, secretAccessKey: 's', sessionToken: 't', expiration: new Date(now + 10 * 60_000) };
    });
    const sign = requestCredentials({ credentials: provider }, region);
    expect(await sign()).toMatchObject({ accessKeyId: 'AKIDROTATED1', sessionToken: 't' });
    expect(await sign()).toMatchObject({ accessKeyId: 'AKIDROTATED1' }); // not a provider call per request
    expect(provider).toHaveBeenCalledTimes(1);
    now += 6 * 60_000;
    vi.setSystemTime(now);
    expect(await sign()).toMatchObject({ accessKeyId: 'AKIDROTATED2' }); // within five minutes of expiring: fetched again
  });

  it("hand the provider the producer's region, as an SDK client hands its own (STS for assume-role profiles)", async () => {
    const provider = vi.fn(async (properties?: { callerClientConfig?: { region?: () => Promise<string> } }) => ({
      accessKeyId: `AKID-${await properties?.callerClientConfig?.region?.()}`,
      secretAccessKey: 's',
    }));
    expect(await requestCredentials({ credentials: provider }, region)()).toMatchObject({ accessKeyId: 'AKID-eu-west-1' });
  });

  it('fall back to fixed local ones when the chain finds none and the requests go to a local target, given or configured', async () => {
    expect(await requestCredentials({}, at('http://127.0.0.1:4567'))()).toMatchObject({ accessKeyId: 'KEDGELOCAL' });
    // Against AWS, no credentials is a configuration error with the reason (parked, not retried in a loop).
    const error = await requestCredentials({}, region)().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AWS_CREDENTIALS_UNAVAILABLE' });
    expect(classifyError(error).errorClass).toBe('configuration');
  });

  it('come from the default chain (here: the environment) when none are given', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFROMENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env-secret');
    expect(await requestCredentials({ endpoint: 'https://kinesis.example.test' }, region)()).toMatchObject({ accessKeyId: 'AKIDFROMENV', secretAccessKey: 'env-secret' });
  });
});

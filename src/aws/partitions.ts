/**
 * Which AWS partition a region belongs to, and the DNS suffixes of its endpoints: the facts the SDK's
 * endpoint rules use (the partition table shipped in @aws-sdk/core), kept here so that a producer can
 * build its endpoint without loading an SDK client. test/unit/sinks/kinesis/location.test.ts checks
 * regions of every partition (and names no partition lists yet) against the SDK's own endpoint
 * resolver, so a changed rule in a newer SDK shows up as a failing test, not as a wrong host on a device.
 */

export interface AwsPartition {
  readonly id: string;
  readonly dnsSuffix: string;
  readonly dualStackDnsSuffix: string;
}

/** Checked in order; the first match wins. Region names outside every pattern fall back to `aws`, as in the SDK. */
const PARTITIONS: readonly (AwsPartition & { readonly regions: RegExp })[] = [
  { id: 'aws-cn', regions: /^cn-\w+-\d+$/, dnsSuffix: 'amazonaws.com.cn', dualStackDnsSuffix: 'api.amazonwebservices.com.cn' },
  { id: 'aws-us-gov', regions: /^us-gov-\w+-\d+$/, dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws' },
  { id: 'aws-iso', regions: /^us-iso-\w+-\d+$/, dnsSuffix: 'c2s.ic.gov', dualStackDnsSuffix: 'api.aws.ic.gov' },
  { id: 'aws-iso-b', regions: /^us-isob-\w+-\d+$/, dnsSuffix: 'sc2s.sgov.gov', dualStackDnsSuffix: 'api.aws.scloud' },
  { id: 'aws-iso-e', regions: /^eu-isoe-\w+-\d+$/, dnsSuffix: 'cloud.adc-e.uk', dualStackDnsSuffix: 'api.cloud-aws.adc-e.uk' },
  { id: 'aws-iso-f', regions: /^us-isof-\w+-\d+$/, dnsSuffix: 'csp.hci.ic.gov', dualStackDnsSuffix: 'api.aws.hci.ic.gov' },
  { id: 'aws-eusc', regions: /^eusc-de-\w+-\d+$/, dnsSuffix: 'amazonaws.eu', dualStackDnsSuffix: 'api.amazonwebservices.eu' },
];

const AWS: AwsPartition = { id: 'aws', dnsSuffix: 'amazonaws.com', dualStackDnsSuffix: 'api.aws' };

export function awsPartition(region: string): AwsPartition {
  return PARTITIONS.find((p) => p.regions.test(region)) ?? AWS;
}

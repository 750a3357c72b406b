/** What the target knows about a Kinesis Video stream (DescribeStream's StreamInfo, plus its tags). */
export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

export interface VideoStreamInfo {
  readonly name: string;
  /** `arn:aws:kinesisvideo:<region>:<account>:stream/<name>/<creation ms>`, as AWS forms it. */
  readonly arn: string;
  readonly deviceName: string | undefined;
  readonly mediaType: string | undefined;
  readonly kmsKeyId: string;
  /** Opaque; changes on every update, checked by CurrentVersion. */
  readonly version: string;
  readonly status: StreamStatus;
  readonly creationTimeMs: number;
  /** 0: no persistence (ACKs stop at RECEIVED, fragments live only in the host buffer). */
  readonly dataRetentionInHours: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** StreamInfo in the wire shape (timestamps as epoch seconds). */
export function streamInfoShape(s: VideoStreamInfo): Record<string, unknown> {
  return {
    ...(s.deviceName === undefined ? {} : { DeviceName: s.deviceName }),
    StreamName: s.name,
    StreamARN: s.arn,
    ...(s.mediaType === undefined ? {} : { MediaType: s.mediaType }),
    KmsKeyId: s.kmsKeyId,
    Version: s.version,
    Status: s.status,
    CreationTime: s.creationTimeMs / 1000,
    DataRetentionInHours: s.dataRetentionInHours,
  };
}

/** The ARN's parts, or undefined when it is not a Kinesis Video stream ARN. */
export function parseStreamArn(arn: string): { region: string; accountId: string; name: string; creationMs: string } | undefined {
  const m = /^arn:aws[a-z-]*:kinesisvideo:([a-z0-9-]+):(\d+):stream\/([a-zA-Z0-9_.-]+)\/(\d+)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, name: m[3]!, creationMs: m[4]! } : undefined;
}

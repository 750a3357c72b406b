/**
 * Errors of the Kinesis Video sink. Every one carries a stable `code`; the message says what to change.
 */
import { KedgeError } from '../../core/errors.js';

export type KinesisVideoErrorCode =
  | 'KVS_STREAM_NOT_FOUND'
  | 'KVS_STREAM_NOT_ACTIVE'
  | 'KVS_STREAM_DELETED'
  | 'KVS_ACCESS_DENIED'
  | 'KVS_INVALID_ARGUMENT'
  | 'KVS_CONTROL_PLANE_FAILED'
  | 'KVS_KMS_ERROR'
  | 'KVS_PUT_MEDIA_HTTP_ERROR'
  | 'KVS_PUT_MEDIA_CONNECTION_FAILED'
  | 'KVS_PUT_MEDIA_STALE'
  | 'KVS_PUT_MEDIA_ERROR_ACK'
  | 'KVS_FRAGMENT_TOO_LARGE'
  | 'KVS_FRAGMENT_CORRUPT'
  | 'KVS_FRAGMENT_GONE'
  | 'KVS_STORE_INVALID'
  | 'KVS_SINK_CLOSED'
  | 'KVS_NO_HEADER';

export class KinesisVideoError extends KedgeError {
  declare readonly code: KinesisVideoErrorCode;
  /** AWS's error name or the ACK ErrorId, when the error came from the service. */
  readonly awsError: string | undefined;
  /**
   * False when trying again cannot help until someone changes the stream, its KMS key or the IAM policy:
   * the sender stops and reports the error instead of retrying.
   */
  readonly retryable: boolean;

  constructor(
    code: KinesisVideoErrorCode,
    message: string,
    options: { cause?: unknown; awsError?: string; retryable?: boolean } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.awsError = options.awsError;
    this.retryable = options.retryable ?? true;
  }
}

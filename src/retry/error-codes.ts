/**
 * The error names, codes and statuses classify.ts recognises, in one table per class
 * (reference/kds.md §1.1; smithy-typescript `service-error-classification/constants.ts`).
 * A name is an AWS error type (`error.name` on SDK v3 exceptions, or a per-record `ErrorCode`),
 * or a Node.js / undici `error.code`.
 */

/** Slow down and retry. */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  // Kinesis Data Streams: per-record and request-level. In smithy's throttling list.
  'ProvisionedThroughputExceededException',
  // KMS throttling on an encrypted stream. NOT in smithy's list, so the SDK does not retry it.
  'KMSThrottlingException',
  // Firehose: "Back off and retry ... throughput limits for the delivery stream may have been
  // exceeded". Some SDK copies spell the per-record code without the suffix.
  'ServiceUnavailableException',
  'ServiceUnavailable',
  // Control-plane rate limits (ListShards, DescribeStream...) and the generic AWS spellings.
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  // Kinesis Video Streams.
  'ClientLimitExceededException',
  'ConnectionLimitExceededException',
]);

/** Retry with backoff: the request may succeed next time. */
export const TRANSIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  // Kinesis per-record "Internal Service Failure", and server-side failures.
  'InternalFailure',
  'InternalFailureException',
  'InternalServerError',
  'InternalError',
  // Smithy TRANSIENT_ERROR_CODES.
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  // Clock skew: the SDK corrects its clock offset from the response, so a retry succeeds. Matters on
  // boards without a real-time clock that boot with a wrong time.
  'RequestExpired',
  'RequestTimeTooSkewed',
  'RequestInTheFuture',
  // Node.js socket and DNS errors (smithy NODEJS_TIMEOUT_ERROR_CODES and NETWORK codes). ENOTFOUND
  // and EAI_AGAIN are what an offline edge device sees first, so they are transient here.
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  // undici and Node http/http2.
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
  // TLS certificate not yet valid or expired: on a board without a real-time clock this is the
  // device's clock before NTP has set it, and the next attempt after the sync succeeds.
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
]);

/**
 * Transient errors after which the request may have been written anyway (kds.md §1.1: "a
 * timed-out request may already have been written, so retrying creates duplicates"). They also
 * cost more of the retry budget, as in smithy (TIMEOUT_RETRY_COST).
 */
export const TIMEOUT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ETIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Retrying cannot help until someone changes the setup: park the data durably and alert. */
export const CONFIGURATION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'AccessDenied',
  'NotAuthorizedException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'InvalidArgumentException',
  'ValidationException',
  'ValidationError',
  'SerializationException',
  'InvalidEndpointException',
  // Credentials: missing, wrong, or expired with nothing to refresh them.
  'CredentialsProviderError',
  'TokenProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  // TLS: the endpoint's certificate is not trusted or not for this host (a self-signed target, a
  // TLS-inspecting proxy without its CA in NODE_EXTRA_CA_CERTS, a wrong endpoint), or the endpoint does
  // not speak TLS at all. Retrying cannot change the answer; the data waits until it is fixed.
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * Signature errors are clock skew (transient) when the message says the signature expired or the
 * time is off, and wrong credentials (configuration) otherwise. Smithy treats these names as
 * clock-skew errors.
 */
export const SIGNATURE_ERROR_NAMES: ReadonlySet<string> = new Set([
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'AuthFailure',
]);
export const CLOCK_SKEW_MESSAGE = /expired|skew|earlier than|later than|in the future/i;

/** HTTP statuses without a recognised error name. */
export const THROTTLING_HTTP_STATUSES: ReadonlySet<number> = new Set([429]);
export const TIMEOUT_HTTP_STATUSES: ReadonlySet<number> = new Set([408]);

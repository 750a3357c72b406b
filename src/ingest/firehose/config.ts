/**
 * CreateDeliveryStream input -> the checked, defaulted configuration a delivery stream runs with.
 * Constraint violations become ValidationException (AWS's front end), semantic problems InvalidArgumentException.
 * The raw input is kept as well: it is what the journal stores, so a restart re-parses it the same way.
 */
import { invalidArgument } from '../server/service-error.js';
import {
  BUFFER_INTERVAL_RANGE_SECONDS,
  HTTP_BUFFER_SIZE_RANGE_MIB,
  HTTP_DEFAULT_RETRY_DURATION_SECONDS,
  HTTP_MAX_ACCESS_KEY_BYTES,
  HTTP_MAX_COMMON_ATTRIBUTES,
  HTTP_MAX_RETRY_DURATION_SECONDS,
  KEDGE_DEFAULT_BUFFER_INTERVAL_SECONDS,
  KEDGE_DEFAULT_BUFFER_SIZE_MIB,
  LAMBDA_DEFAULT_BUFFER_SIZE_MIB,
  LAMBDA_DEFAULT_RETRIES,
  LAMBDA_MAX_BUFFER_SIZE_MIB,
  LAMBDA_MAX_RETRIES,
  MIB,
  S3_BUFFER_SIZE_RANGE_MIB,
} from './constants.js';
import { hasErrorType, hasExpressions, parsePrefix, PrefixSyntaxError, type ParsedPrefix } from './s3-key.js';
import { requireObject, Violations } from './validation.js';

export const STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;
const BUCKET_ARN_PATTERN = /^arn:[^:]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;
const ROLE_ARN_PATTERN = /^arn:.*:iam::\d{12}:role\/[a-zA-Z_0-9+=,.@\-_/]+$/;
const KINESIS_STREAM_ARN_PATTERN = /^arn:[^:]*:kinesis:[a-zA-Z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]+)$/;
const LAMBDA_ARN_PATTERN = /^arn:.*:lambda:.*$/;

export type DeliveryStreamType = 'DirectPut' | 'KinesisStreamAsSource';
export type CompressionFormat = 'UNCOMPRESSED' | 'GZIP';

export interface S3Location {
  readonly bucketArn: string;
  readonly bucket: string;
  readonly roleArn: string;
  readonly prefix: string | undefined;
  readonly errorOutputPrefix: string | undefined;
  readonly parsedPrefix: ParsedPrefix;
  readonly parsedErrorOutputPrefix: ParsedPrefix | undefined;
  readonly compression: CompressionFormat;
  /** File extension of delivered objects; defaults to `.gz` with GZIP, none otherwise. */
  readonly extension: string;
  readonly customExtension: string | undefined;
  readonly sizeMiB: number;
  readonly intervalSeconds: number;
}

export type Processor =
  | { readonly type: 'Lambda'; readonly lambdaArn: string; readonly numberOfRetries: number; readonly bufferSizeBytes: number }
  | { readonly type: 'AppendDelimiterToRecord' };

export interface S3Destination {
  readonly kind: 's3';
  /** Created with ExtendedS3DestinationConfiguration (else S3DestinationConfiguration). */
  readonly extended: boolean;
  readonly s3: S3Location;
}

export interface HttpDestination {
  readonly kind: 'http';
  readonly url: string;
  readonly name: string | undefined;
  readonly accessKey: string | undefined;
  readonly contentEncoding: 'NONE' | 'GZIP';
  readonly commonAttributes: ReadonlyArray<readonly [string, string]>;
  readonly retryDurationSeconds: number;
  readonly s3BackupMode: 'FailedDataOnly' | 'AllData';
  readonly roleArn: string | undefined;
  /** Where failed (and with AllData, all) records go. */
  readonly s3: S3Location;
}

export interface DeliveryStreamConfig {
  readonly name: string;
  readonly type: DeliveryStreamType;
  readonly source: { readonly streamArn: string; readonly streamName: string; readonly roleArn: string } | undefined;
  readonly destination: S3Destination | HttpDestination;
  readonly bufferSizeBytes: number;
  readonly bufferIntervalSeconds: number;
  /** Processors in order, empty when processing is off. */
  readonly processors: readonly Processor[];
  /** The ProcessingConfiguration as given (for DescribeDeliveryStream). */
  readonly processingConfiguration: Record<string, unknown> | undefined;
}

const UNSUPPORTED_DESTINATIONS = [
  'RedshiftDestinationConfiguration',
  'ElasticsearchDestinationConfiguration',
  'AmazonopensearchserviceDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'AmazonOpenSearchServerlessDestinationConfiguration',
  'SnowflakeDestinationConfiguration',
  'IcebergDestinationConfiguration',
];

/**
 * Parses and checks a CreateDeliveryStream input. `lambdas` maps the Lambda ARNs the target can call; pass
 * `undefined` when re-reading a journaled stream, whose Lambda may have been unmapped since (its invocations
 * then fail with Lambda.ResourceNotFound instead of the stream vanishing).
 */
export function parseCreateInput(input: unknown, lambdas: Readonly<Record<string, string>> | undefined): DeliveryStreamConfig {
  const body = requireObject(input, 'the request');
  const v = new Violations();
  if (v.required(body.DeliveryStreamName, 'deliveryStreamName')) v.string(body.DeliveryStreamName, 'deliveryStreamName', 1, 64, STREAM_NAME_PATTERN);
  if (body.DeliveryStreamType !== undefined) {
    v.oneOf(body.DeliveryStreamType, 'deliveryStreamType', ['DirectPut', 'KinesisStreamAsSource', 'MSKAsSource', 'DatabaseAsSource']);
  }
  v.throwIfAny();
  const name = body.DeliveryStreamName as string;
  const type = (body.DeliveryStreamType ?? 'DirectPut') as string;
  if (type !== 'DirectPut' && type !== 'KinesisStreamAsSource') {
    throw invalidArgument(`DeliveryStreamType ${type} is not supported by kedge's ingest target; use DirectPut or KinesisStreamAsSource.`);
  }

  let source: DeliveryStreamConfig['source'];
  if (type === 'KinesisStreamAsSource') {
    if (body.KinesisStreamSourceConfiguration === undefined) {
      throw invalidArgument('KinesisStreamSourceConfiguration is required when DeliveryStreamType is KinesisStreamAsSource.');
    }
    const src = requireObject(body.KinesisStreamSourceConfiguration, 'KinesisStreamSourceConfiguration');
    const sv = new Violations();
    if (sv.required(src.KinesisStreamARN, 'kinesisStreamSourceConfiguration.kinesisStreamARN')) {
      sv.string(src.KinesisStreamARN, 'kinesisStreamSourceConfiguration.kinesisStreamARN', 1, 512, KINESIS_STREAM_ARN_PATTERN);
    }
    if (sv.required(src.RoleARN, 'kinesisStreamSourceConfiguration.roleARN')) sv.string(src.RoleARN, 'kinesisStreamSourceConfiguration.roleARN', 1, 512, ROLE_ARN_PATTERN);
    sv.throwIfAny();
    const streamArn = src.KinesisStreamARN as string;
    source = { streamArn, streamName: KINESIS_STREAM_ARN_PATTERN.exec(streamArn)![1]!, roleArn: src.RoleARN as string };
  } else if (body.KinesisStreamSourceConfiguration !== undefined) {
    throw invalidArgument('KinesisStreamSourceConfiguration is only allowed when DeliveryStreamType is KinesisStreamAsSource.');
  }

  for (const key of UNSUPPORTED_DESTINATIONS) {
    if (body[key] !== undefined) {
      throw invalidArgument(`${key} is not supported by kedge's ingest target; use ExtendedS3DestinationConfiguration, S3DestinationConfiguration or HttpEndpointDestinationConfiguration.`);
    }
  }
  const given = ['ExtendedS3DestinationConfiguration', 'S3DestinationConfiguration', 'HttpEndpointDestinationConfiguration'].filter((k) => body[k] !== undefined);
  if (given.length === 0) {
    throw invalidArgument('A destination is required: ExtendedS3DestinationConfiguration, S3DestinationConfiguration or HttpEndpointDestinationConfiguration.');
  }
  if (given.length > 1) throw invalidArgument(`Only one destination configuration may be given, got ${given.join(' and ')}.`);

  const key = given[0]!;
  const path = key.charAt(0).toLowerCase() + key.slice(1);
  const dest = requireObject(body[key], key);
  if (key === 'HttpEndpointDestinationConfiguration') return buildHttp(name, type, source, dest, path, lambdas);
  return buildS3(name, type, source, dest, path, key === 'ExtendedS3DestinationConfiguration', lambdas);
}

function buildS3(
  name: string,
  type: DeliveryStreamType,
  source: DeliveryStreamConfig['source'],
  dest: Record<string, unknown>,
  path: string,
  extended: boolean,
  lambdas: Readonly<Record<string, string>> | undefined,
): DeliveryStreamConfig {
  const s3 = parseS3Location(dest, path, S3_BUFFER_SIZE_RANGE_MIB, extended);
  const processors = extended ? parseProcessing(dest.ProcessingConfiguration, `${path}.processingConfiguration`, lambdas) : [];
  if (!extended && dest.ProcessingConfiguration !== undefined) {
    throw invalidArgument('ProcessingConfiguration needs ExtendedS3DestinationConfiguration, not S3DestinationConfiguration.');
  }
  return {
    name,
    type,
    source,
    destination: { kind: 's3', extended, s3 },
    bufferSizeBytes: s3.sizeMiB * MIB,
    bufferIntervalSeconds: s3.intervalSeconds,
    processors,
    processingConfiguration: processors.length ? (dest.ProcessingConfiguration as Record<string, unknown>) : undefined,
  };
}

function buildHttp(
  name: string,
  type: DeliveryStreamType,
  source: DeliveryStreamConfig['source'],
  dest: Record<string, unknown>,
  path: string,
  lambdas: Readonly<Record<string, string>> | undefined,
): DeliveryStreamConfig {
  const v = new Violations();
  v.required(dest.EndpointConfiguration, `${path}.endpointConfiguration`);
  v.required(dest.S3Configuration, `${path}.s3Configuration`);
  v.throwIfAny();
  const endpoint = requireObject(dest.EndpointConfiguration, 'EndpointConfiguration');
  if (v.required(endpoint.Url, `${path}.endpointConfiguration.url`)) v.string(endpoint.Url, `${path}.endpointConfiguration.url`, 1, 1000, /^https?:\/\/.+$/);
  v.string(endpoint.Name, `${path}.endpointConfiguration.name`, 1, 256);
  v.string(endpoint.AccessKey, `${path}.endpointConfiguration.accessKey`, 0, HTTP_MAX_ACCESS_KEY_BYTES);
  const request = dest.RequestConfiguration === undefined ? {} : requireObject(dest.RequestConfiguration, 'RequestConfiguration');
  v.oneOf(request.ContentEncoding, `${path}.requestConfiguration.contentEncoding`, ['NONE', 'GZIP']);
  const attributes: Array<[string, string]> = [];
  if (request.CommonAttributes !== undefined) {
    if (!Array.isArray(request.CommonAttributes) || request.CommonAttributes.length > HTTP_MAX_COMMON_ATTRIBUTES) {
      v.add(request.CommonAttributes, `${path}.requestConfiguration.commonAttributes`, `Member must have length less than or equal to ${HTTP_MAX_COMMON_ATTRIBUTES}`);
    } else {
      request.CommonAttributes.forEach((a: unknown, i: number) => {
        const attr = requireObject(a, 'HttpEndpointCommonAttribute');
        const at = `${path}.requestConfiguration.commonAttributes.${i + 1}.member`;
        const okName = v.required(attr.AttributeName, `${at}.attributeName`) && v.string(attr.AttributeName, `${at}.attributeName`, 1, 256);
        const okValue = v.required(attr.AttributeValue, `${at}.attributeValue`) && v.string(attr.AttributeValue, `${at}.attributeValue`, 0, 1024);
        if (okName && okValue) attributes.push([attr.AttributeName as string, attr.AttributeValue as string]);
      });
    }
  }
  const retry = dest.RetryOptions === undefined ? {} : requireObject(dest.RetryOptions, 'RetryOptions');
  v.integer(retry.DurationInSeconds, `${path}.retryOptions.durationInSeconds`, 0, HTTP_MAX_RETRY_DURATION_SECONDS);
  v.oneOf(dest.S3BackupMode, `${path}.s3BackupMode`, ['FailedDataOnly', 'AllData']);
  v.string(dest.RoleARN, `${path}.roleARN`, 1, 512, ROLE_ARN_PATTERN);
  const hints = bufferingHints(dest.BufferingHints, `${path}.bufferingHints`, HTTP_BUFFER_SIZE_RANGE_MIB, v);
  v.throwIfAny();
  // AWS accepts only https:// URLs (port 443). The local target also allows http:// (the pattern above) so a
  // receiver on 127.0.0.1 can be tested without certificates: a deliberate difference from AWS.
  const s3Config = requireObject(dest.S3Configuration, 'S3Configuration');
  const s3 = parseS3Location(s3Config, `${path}.s3Configuration`, S3_BUFFER_SIZE_RANGE_MIB, false);
  const processors = parseProcessing(dest.ProcessingConfiguration, `${path}.processingConfiguration`, lambdas);
  return {
    name,
    type,
    source,
    destination: {
      kind: 'http',
      url: endpoint.Url as string,
      name: endpoint.Name as string | undefined,
      accessKey: endpoint.AccessKey as string | undefined,
      contentEncoding: (request.ContentEncoding as 'NONE' | 'GZIP' | undefined) ?? 'NONE',
      commonAttributes: attributes,
      retryDurationSeconds: (retry.DurationInSeconds as number | undefined) ?? HTTP_DEFAULT_RETRY_DURATION_SECONDS,
      s3BackupMode: (dest.S3BackupMode as 'FailedDataOnly' | 'AllData' | undefined) ?? 'FailedDataOnly',
      roleArn: dest.RoleARN as string | undefined,
      s3,
    },
    bufferSizeBytes: hints.sizeMiB * MIB,
    bufferIntervalSeconds: hints.intervalSeconds,
    processors,
    processingConfiguration: processors.length ? (dest.ProcessingConfiguration as Record<string, unknown>) : undefined,
  };
}

function bufferingHints(value: unknown, path: string, sizeRange: readonly [number, number], v: Violations): { sizeMiB: number; intervalSeconds: number } {
  const hints = value === undefined ? {} : requireObject(value, 'BufferingHints');
  v.integer(hints.SizeInMBs, `${path}.sizeInMBs`, sizeRange[0], sizeRange[1]);
  v.integer(hints.IntervalInSeconds, `${path}.intervalInSeconds`, BUFFER_INTERVAL_RANGE_SECONDS[0], BUFFER_INTERVAL_RANGE_SECONDS[1]);
  // AWS asks for both or neither; a missing one takes kedge's default rather than failing the call.
  return {
    sizeMiB: typeof hints.SizeInMBs === 'number' ? hints.SizeInMBs : KEDGE_DEFAULT_BUFFER_SIZE_MIB,
    intervalSeconds: typeof hints.IntervalInSeconds === 'number' ? hints.IntervalInSeconds : KEDGE_DEFAULT_BUFFER_INTERVAL_SECONDS,
  };
}

function parseS3Location(dest: Record<string, unknown>, path: string, sizeRange: readonly [number, number], extended: boolean): S3Location {
  const v = new Violations();
  if (v.required(dest.RoleARN, `${path}.roleARN`)) v.string(dest.RoleARN, `${path}.roleARN`, 1, 512, ROLE_ARN_PATTERN);
  if (v.required(dest.BucketARN, `${path}.bucketARN`)) v.string(dest.BucketARN, `${path}.bucketARN`, 1, 2048, /^arn:.*:s3:::[\w.-]{1,255}$/);
  v.string(dest.Prefix, `${path}.prefix`, 0, 1024);
  v.string(dest.ErrorOutputPrefix, `${path}.errorOutputPrefix`, 0, 1024);
  v.oneOf(dest.CompressionFormat, `${path}.compressionFormat`, ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY']);
  if (extended) v.string(dest.FileExtension, `${path}.fileExtension`, 0, 128, /^$|^\.[0-9a-z!\-_.*'()]+$/);
  const hints = bufferingHints(dest.BufferingHints, `${path}.bufferingHints`, sizeRange, v);
  v.throwIfAny();
  const bucketArn = dest.BucketARN as string;
  const bucket = BUCKET_ARN_PATTERN.exec(bucketArn)?.[1];
  if (!bucket || bucket.includes('..')) {
    throw invalidArgument(`BucketARN ${bucketArn} does not name a valid S3 bucket (3-63 characters: lower-case letters, digits, '.' and '-').`);
  }
  const compression = (dest.CompressionFormat as string | undefined) ?? 'UNCOMPRESSED';
  if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
    throw invalidArgument(`CompressionFormat ${compression} is not supported by kedge's ingest target; use UNCOMPRESSED or GZIP.`);
  }
  const prefix = dest.Prefix as string | undefined;
  const errorOutputPrefix = dest.ErrorOutputPrefix as string | undefined;
  let parsedPrefix: ParsedPrefix;
  let parsedErrorOutputPrefix: ParsedPrefix | undefined;
  try {
    parsedPrefix = parsePrefix(prefix ?? '');
    parsedErrorOutputPrefix = errorOutputPrefix ? parsePrefix(errorOutputPrefix) : undefined;
  } catch (err) {
    if (err instanceof PrefixSyntaxError) throw invalidArgument(err.message);
    throw err;
  }
  // The semantic rules of s3-prefixes.html.
  if (hasErrorType(parsedPrefix)) throw invalidArgument('Prefix cannot contain !{firehose:error-output-type}; use it in ErrorOutputPrefix.');
  if (hasExpressions(parsedPrefix) && !parsedErrorOutputPrefix) {
    throw invalidArgument('ErrorOutputPrefix cannot be null or empty when Prefix contains expressions; set an ErrorOutputPrefix such as errors/!{firehose:error-output-type}/.');
  }
  if (parsedErrorOutputPrefix && hasExpressions(parsedErrorOutputPrefix) && !hasErrorType(parsedErrorOutputPrefix)) {
    throw invalidArgument('ErrorOutputPrefix that contains expressions must contain at least one !{firehose:error-output-type}.');
  }
  const customExtension = extended && dest.FileExtension ? (dest.FileExtension as string) : undefined;
  return {
    bucketArn,
    bucket,
    roleArn: dest.RoleARN as string,
    prefix,
    errorOutputPrefix,
    parsedPrefix,
    parsedErrorOutputPrefix,
    compression,
    extension: customExtension ?? (compression === 'GZIP' ? '.gz' : ''),
    customExtension,
    sizeMiB: hints.sizeMiB,
    intervalSeconds: hints.intervalSeconds,
  };
}

function parseProcessing(value: unknown, path: string, lambdas: Readonly<Record<string, string>> | undefined): Processor[] {
  if (value === undefined) return [];
  const config = requireObject(value, 'ProcessingConfiguration');
  if (config.Enabled !== true) return [];
  if (!Array.isArray(config.Processors) || config.Processors.length === 0) {
    throw invalidArgument('ProcessingConfiguration is enabled but lists no Processors.');
  }
  return config.Processors.map((p: unknown, i: number) => parseProcessor(requireObject(p, 'Processor'), `${path}.processors.${i + 1}.member`, lambdas));
}

function parseProcessor(p: Record<string, unknown>, path: string, lambdas: Readonly<Record<string, string>> | undefined): Processor {
  const params = new Map<string, string>();
  if (p.Parameters !== undefined) {
    if (!Array.isArray(p.Parameters)) throw invalidArgument(`${path}.parameters must be a list of {ParameterName, ParameterValue}.`);
    for (const raw of p.Parameters) {
      const param = requireObject(raw, 'ProcessorParameter');
      if (typeof param.ParameterName !== 'string' || typeof param.ParameterValue !== 'string') {
        throw invalidArgument(`${path}.parameters needs string ParameterName and ParameterValue.`);
      }
      params.set(param.ParameterName, param.ParameterValue);
    }
  }
  if (p.Type === 'AppendDelimiterToRecord') return { type: 'AppendDelimiterToRecord' };
  if (p.Type !== 'Lambda') {
    throw invalidArgument(`Processor type ${String(p.Type)} is not supported by kedge's ingest target; use Lambda or AppendDelimiterToRecord.`);
  }
  const lambdaArn = params.get('LambdaArn');
  if (!lambdaArn || !LAMBDA_ARN_PATTERN.test(lambdaArn)) throw invalidArgument('A Lambda processor needs a LambdaArn parameter holding a Lambda function ARN.');
  if (lambdas && !Object.hasOwn(lambdas, lambdaArn)) {
    throw invalidArgument(
      `Lambda function ${lambdaArn} is not known to the local ingest target. Start it with --lambda ${lambdaArn}=./handler.mjs ` +
        `(a module exporting handler(event, context)) or --lambda ${lambdaArn}=http://127.0.0.1:PORT/ (an endpoint that answers the event JSON).`,
    );
  }
  const retries = intParam(params, 'NumberOfRetries', LAMBDA_DEFAULT_RETRIES, 0, LAMBDA_MAX_RETRIES);
  const sizeMiB = numberParam(params, 'BufferSizeInMBs', LAMBDA_DEFAULT_BUFFER_SIZE_MIB, 0.2, LAMBDA_MAX_BUFFER_SIZE_MIB);
  intParam(params, 'BufferIntervalInSeconds', 60, 60, 900);
  return { type: 'Lambda', lambdaArn, numberOfRetries: retries, bufferSizeBytes: Math.floor(sizeMiB * MIB) };
}

function numberParam(params: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw invalidArgument(`Processor parameter ${name} must be a number from ${min} to ${max}, got '${raw}'.`);
  return n;
}

function intParam(params: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const n = numberParam(params, name, fallback, min, max);
  if (!Number.isInteger(n)) throw invalidArgument(`Processor parameter ${name} must be a whole number, got '${params.get(name)}'.`);
  return n;
}

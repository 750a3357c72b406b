/**
 * The Kinesis Video control plane as restJson1 routes, for the unmodified `@aws-sdk/client-kinesis-video`:
 * CreateStream, DescribeStream, ListStreams, DeleteStream, UpdateStream, UpdateDataRetention, TagStream,
 * UntagStream, ListTagsForStream and GetDataEndpoint (which names the target itself, so the media clients
 * and PutMedia connect back to it). Streams are ACTIVE as soon as they are created.
 */
import type { OperationContext, PathRoute } from '../server/types.js';
import { AckError } from './ack.js';
import { clientLimitExceeded, invalidArgument, tagsLimitExceeded, versionMismatch } from './errors.js';
import {
  checkStreamName,
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalString,
  requiredString,
  streamRef,
  streamRefOf,
  type Input,
} from './input.js';
import {
  MAX_DATA_RETENTION_HOURS,
  MAX_LIST_STREAMS_RESULTS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS_PER_STREAM,
  PER_STREAM_CONTROL_TPS,
} from './limits.js';
import { streamInfoShape, type VideoStreamInfo } from './model.js';
import { ownEndpoint, restJsonRoute } from './rest-json.js';
import type { VideoCatalog } from './video-catalog.js';

const API_NAMES = [
  'PUT_MEDIA',
  'GET_MEDIA',
  'LIST_FRAGMENTS',
  'GET_MEDIA_FOR_FRAGMENT_LIST',
  'GET_HLS_STREAMING_SESSION_URL',
  'GET_DASH_STREAMING_SESSION_URL',
  'GET_CLIP',
  'GET_IMAGES',
] as const;

export function controlPlaneRoutes(catalog: VideoCatalog): PathRoute[] {
  const { registry } = catalog;

  /** The per-stream hard TPS limit of the quota page. */
  const throttle = (info: VideoStreamInfo, op: string, ctx: OperationContext): void => {
    if (!catalog.gate.allow(`${info.name}/${op}`, PER_STREAM_CONTROL_TPS, ctx.now)) {
      throw clientLimitExceeded(`${op} is limited to ${PER_STREAM_CONTROL_TPS} calls per second per stream; slow down and retry.`);
    }
  };
  const checkVersion = (info: VideoStreamInfo, given: string | undefined): void => {
    if (given !== undefined && given !== info.version) {
      throw versionMismatch(`The stream version ${given} does not match the current version ${info.version}; describe the stream again.`);
    }
  };

  return [
    restJsonRoute('/createStream', (input, ctx) => {
      const name = checkStreamName(requiredString(input, 'StreamName', 256));
      const retention = optionalInteger(input, 'DataRetentionInHours', 0, MAX_DATA_RETENTION_HOURS) ?? 0;
      const mediaType = optionalString(input, 'MediaType', 128);
      if (mediaType !== undefined && !/^[\w-.+]+\/[\w-.+]+(,[\w-.+]+\/[\w-.+]+)*$/.test(mediaType)) {
        throw invalidArgument(`MediaType '${mediaType}' must be a media type such as video/h264 (several separated by commas).`);
      }
      const tags = readTags(input, 'Tags', false);
      if (Object.keys(tags).length > MAX_TAGS_PER_STREAM) throw tagsLimitExceeded(`A stream can have at most ${MAX_TAGS_PER_STREAM} tags.`);
      catalog.checkNameFree(name);
      const record: VideoStreamInfo = {
        name,
        arn: `arn:aws:kinesisvideo:${ctx.region}:${ctx.accountId}:stream/${name}/${ctx.now}`,
        deviceName: optionalString(input, 'DeviceName', 128),
        mediaType,
        kmsKeyId: optionalString(input, 'KmsKeyId', 2048) ?? `arn:aws:kms:${ctx.region}:${ctx.accountId}:alias/aws/kinesisvideo`,
        version: registry.newVersion(),
        status: 'ACTIVE',
        creationTimeMs: ctx.now,
        dataRetentionInHours: retention,
        tags,
      };
      registry.put(record);
      return { StreamARN: record.arn };
    }),

    restJsonRoute('/describeStream', (input, ctx) => {
      const info = catalog.find(streamRef(input));
      throttle(info, 'DescribeStream', ctx);
      return { StreamInfo: streamInfoShape(info) };
    }),

    restJsonRoute('/listStreams', (input) => {
      const max = optionalInteger(input, 'MaxResults', 1, MAX_LIST_STREAMS_RESULTS) ?? MAX_LIST_STREAMS_RESULTS;
      const token = optionalString(input, 'NextToken', 512);
      const condition = optionalObject(input, 'StreamNameCondition');
      let prefix = '';
      if (condition !== undefined) {
        optionalEnum(condition, 'ComparisonOperator', ['BEGINS_WITH']);
        prefix = optionalString(condition, 'ComparisonValue', 256) ?? '';
      }
      const after = token === undefined ? undefined : decodeListToken(token);
      const all = registry.list().filter((s) => s.name.startsWith(prefix) && (after === undefined || s.name > after));
      const page = all.slice(0, max);
      return {
        StreamInfoList: page.map(streamInfoShape),
        ...(all.length > max ? { NextToken: Buffer.from(page[page.length - 1]!.name).toString('base64url') } : {}),
      };
    }),

    restJsonRoute('/deleteStream', async (input, ctx) => {
      const arn = requiredString(input, 'StreamARN');
      const info = catalog.find(streamRefOf(undefined, arn));
      throttle(info, 'DeleteStream', ctx);
      checkVersion(info, optionalString(input, 'CurrentVersion', 64));
      await catalog.remove(info, AckError.StreamDeleted);
      return {};
    }),

    restJsonRoute('/updateStream', (input) => {
      const info = catalog.find(streamRef(input));
      checkVersion(info, requiredString(input, 'CurrentVersion', 64));
      const deviceName = optionalString(input, 'DeviceName', 128);
      const mediaType = optionalString(input, 'MediaType', 128);
      registry.put({
        ...info,
        ...(deviceName === undefined ? {} : { deviceName }),
        ...(mediaType === undefined ? {} : { mediaType }),
        version: registry.newVersion(),
      });
      return {};
    }),

    restJsonRoute('/updateDataRetention', (input, ctx) => {
      const info = catalog.find(streamRef(input));
      throttle(info, 'UpdateDataRetention', ctx);
      checkVersion(info, requiredString(input, 'CurrentVersion', 64));
      const operation = optionalEnum(input, 'Operation', ['INCREASE_DATA_RETENTION', 'DECREASE_DATA_RETENTION'] as const);
      if (operation === undefined) throw invalidArgument('Operation is required: INCREASE_DATA_RETENTION or DECREASE_DATA_RETENTION.');
      const change = optionalInteger(input, 'DataRetentionChangeInHours', 1, MAX_DATA_RETENTION_HOURS);
      if (change === undefined) throw invalidArgument('DataRetentionChangeInHours is required (1 or more).');
      const next = info.dataRetentionInHours + (operation === 'INCREASE_DATA_RETENTION' ? change : -change);
      if (next < 0) throw invalidArgument(`Retention cannot go below 0 hours: it is ${info.dataRetentionInHours}, the decrease is ${change}.`);
      if (next > MAX_DATA_RETENTION_HOURS) throw invalidArgument(`Retention cannot exceed ${MAX_DATA_RETENTION_HOURS} hours: it is ${info.dataRetentionInHours}, the increase is ${change}.`);
      registry.put({ ...info, dataRetentionInHours: next, version: registry.newVersion() });
      return {};
    }),

    restJsonRoute('/tagStream', (input, ctx) => {
      const info = catalog.find(streamRef(input));
      throttle(info, 'TagStream', ctx);
      const tags = { ...info.tags, ...readTags(input, 'Tags', true) };
      if (Object.keys(tags).length > MAX_TAGS_PER_STREAM) {
        throw tagsLimitExceeded(`A stream can have at most ${MAX_TAGS_PER_STREAM} tags; it would have ${Object.keys(tags).length}.`);
      }
      registry.put({ ...info, tags });
      return {};
    }),

    restJsonRoute('/untagStream', (input) => {
      const info = catalog.find(streamRef(input));
      const keys = input['TagKeyList'];
      if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_TAGS_PER_STREAM || !keys.every((k) => typeof k === 'string' && k.length >= 1 && k.length <= MAX_TAG_KEY_LENGTH)) {
        throw invalidArgument(`TagKeyList must list 1 to ${MAX_TAGS_PER_STREAM} tag keys of 1 to ${MAX_TAG_KEY_LENGTH} characters.`);
      }
      const tags = { ...info.tags };
      for (const k of keys as string[]) delete tags[k];
      registry.put({ ...info, tags });
      return {};
    }),

    restJsonRoute('/listTagsForStream', (input) => {
      const info = catalog.find(streamRef(input));
      return { Tags: { ...info.tags } };
    }),

    restJsonRoute('/getDataEndpoint', (input, ctx, head) => {
      const apiName = optionalEnum(input, 'APIName', API_NAMES);
      if (apiName === undefined) throw invalidArgument(`APIName is required: one of ${API_NAMES.join(', ')}.`);
      const info = catalog.find(streamRef(input));
      throttle(info, 'GetDataEndpoint', ctx);
      return { DataEndpoint: ownEndpoint(catalog.endpoint, head) };
    }),
  ];
}

/** A tag map: keys 1-128 characters not starting with `aws:`, values up to 256. */
function readTags(input: Input, field: string, required: boolean): Record<string, string> {
  const v = input[field];
  if (v === undefined || v === null) {
    if (required) throw invalidArgument(`${field} is required: a map of 1 to ${MAX_TAGS_PER_STREAM} tags.`);
    return {};
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`${field} must be a map of tag keys to values.`);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
    if (k.length < 1 || k.length > MAX_TAG_KEY_LENGTH || k.startsWith('aws:')) {
      throw invalidArgument(`Tag key '${k}' must be 1 to ${MAX_TAG_KEY_LENGTH} characters and must not start with aws:.`);
    }
    if (typeof value !== 'string' || value.length > MAX_TAG_VALUE_LENGTH) throw invalidArgument(`The value of tag '${k}' must be a string of at most ${MAX_TAG_VALUE_LENGTH} characters.`);
    out[k] = value;
  }
  if (required && Object.keys(out).length === 0) throw invalidArgument(`${field} must hold at least one tag.`);
  return out;
}

function decodeListToken(token: string): string {
  const name = Buffer.from(token, 'base64url').toString('utf8');
  if (name.length === 0) throw invalidArgument('NextToken is not one this service issued.');
  return name;
}

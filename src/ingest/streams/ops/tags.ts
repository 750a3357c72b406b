/** Tags: AddTagsToStream, RemoveTagsFromStream, ListTagsForStream and the ARN-based TagResource family. */
import { invalidArgument } from '../../server/service-error.js';
import type { Operation, OperationContext } from '../../server/types.js';
import { LIST_TAGS_MAX_RESULTS, TAG_KEY_MAX_CHARS, TAG_VALUE_MAX_CHARS, TAGS_PER_CALL_MAX, TAGS_PER_STREAM_MAX } from '../limits.js';
import type { Stream } from '../model.js';
import type { StreamsState } from '../state.js';
import { Checks } from '../validation.js';

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@%]*$/u;

/** Checks tags about to be added to a stream that has `existing` other tags. */
export function checkTags(state: StreamsState, streamName: string, tags: Record<string, string>, existing: number): void {
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > TAG_KEY_MAX_CHARS || value.length > TAG_VALUE_MAX_CHARS) {
      throw invalidArgument(`Tag keys must be 1 to ${TAG_KEY_MAX_CHARS} characters and values at most ${TAG_VALUE_MAX_CHARS}; '${key}' is not.`);
    }
    if (!TAG_CHARS.test(key) || !TAG_CHARS.test(value)) {
      throw invalidArgument(
        `Failed to add tags to stream ${streamName} under account ${state.accountId} because some tags contained illegal characters. ` +
          "The allowed characters are Unicode letters, digits, white space, and '_', '.', ':', '/', '=', '+', '-', '@', '%'.",
      );
    }
    if (key.toLowerCase().startsWith('aws:')) throw invalidArgument(`Tag key ${key} uses the reserved prefix 'aws:'.`);
  }
  if (existing + Object.keys(tags).length > TAGS_PER_STREAM_MAX) {
    throw invalidArgument(
      `Failed to add tags to stream ${streamName} under account ${state.accountId} because a given stream cannot have more than ${TAGS_PER_STREAM_MAX} tags associated with it.`,
    );
  }
}

function addTags(state: StreamsState, stream: Stream, tags: Record<string, string>): void {
  const added = Object.keys(tags).filter((k) => !stream.tags.has(k)).length;
  checkTags(state, stream.name, tags, stream.tags.size + added - Object.keys(tags).length);
  for (const [k, v] of Object.entries(tags)) stream.tags.set(k, v);
  state.save(stream);
}

function removeTags(state: StreamsState, stream: Stream, keys: string[]): void {
  for (const k of keys) stream.tags.delete(k);
  state.save(stream);
}

function sortedTags(stream: Stream): { Key: string; Value: string }[] {
  return [...stream.tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Key, Value]) => ({ Key, Value }));
}

export function tagOperations(state: StreamsState): Record<string, Operation> {
  const resourceStream = (arn: string | undefined, ctx: OperationContext): Stream => state.resolve({ name: undefined, arn }, ctx);
  return {
    AddTagsToStream(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const ref = checks.streamRef();
      const tags = checks.stringMap('Tags', { required: true, min: 1, max: TAGS_PER_CALL_MAX })!;
      checks.done();
      addTags(state, state.resolve(ref, ctx), tags);
      return {};
    },
    RemoveTagsFromStream(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const ref = checks.streamRef();
      const keys = checks.stringList('TagKeys', { required: true, min: 1, max: TAGS_PER_STREAM_MAX, itemMin: 1, itemMax: TAG_KEY_MAX_CHARS })!;
      checks.done();
      removeTags(state, state.resolve(ref, ctx), keys);
      return {};
    },
    ListTagsForStream(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const ref = checks.streamRef();
      const after = checks.string('ExclusiveStartTagKey', { minLength: 1, maxLength: TAG_KEY_MAX_CHARS });
      const limit = checks.integer('Limit', { min: 1, max: LIST_TAGS_MAX_RESULTS }) ?? LIST_TAGS_MAX_RESULTS;
      checks.done();
      const all = sortedTags(state.resolve(ref, ctx)).filter((t) => after === undefined || t.Key > after);
      return { Tags: all.slice(0, limit), HasMoreTags: all.length > limit };
    },
    TagResource(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const arn = checks.string('ResourceARN', { required: true, minLength: 1, maxLength: 2048 });
      const tags = checks.stringMap('Tags', { required: true, min: 1, max: TAGS_PER_STREAM_MAX })!;
      checks.done();
      addTags(state, resourceStream(arn, ctx), tags);
      return {};
    },
    UntagResource(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const arn = checks.string('ResourceARN', { required: true, minLength: 1, maxLength: 2048 });
      const keys = checks.stringList('TagKeys', { required: true, min: 1, max: TAGS_PER_STREAM_MAX, itemMin: 1, itemMax: TAG_KEY_MAX_CHARS })!;
      checks.done();
      removeTags(state, resourceStream(arn, ctx), keys);
      return {};
    },
    ListTagsForResource(input: unknown, ctx: OperationContext) {
      const checks = Checks.of(input);
      const arn = checks.string('ResourceARN', { required: true, minLength: 1, maxLength: 2048 });
      checks.done();
      return { Tags: sortedTags(resourceStream(arn, ctx)) };
    },
  };
}

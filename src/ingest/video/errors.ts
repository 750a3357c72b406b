/**
 * The Kinesis Video errors the target answers with, as AWS names them (restJson1: the type travels in
 * `x-amzn-ErrorType`, the text in the body's `message`), with the statuses the SDK models give them.
 */
import { ServiceError } from '../server/service-error.js';

export const resourceNotFound = (message = 'The requested stream is not found or not active.'): ServiceError =>
  new ServiceError('ResourceNotFoundException', message, 404);
export const resourceInUse = (message: string): ServiceError => new ServiceError('ResourceInUseException', message, 400);
export const invalidArgument = (message: string): ServiceError => new ServiceError('InvalidArgumentException', message, 400);
export const clientLimitExceeded = (message: string): ServiceError => new ServiceError('ClientLimitExceededException', message, 400);
export const connectionLimitExceeded = (message: string): ServiceError => new ServiceError('ConnectionLimitExceededException', message, 400);
export const versionMismatch = (message: string): ServiceError => new ServiceError('VersionMismatchException', message, 400);
export const notAuthorized = (message: string): ServiceError => new ServiceError('NotAuthorizedException', message, 401);
export const tagsLimitExceeded = (message: string): ServiceError => new ServiceError('TagsPerResourceExceededLimitException', message, 400);
export const noDataRetention = (message: string): ServiceError => new ServiceError('NoDataRetentionException', message, 400);
export const unsupportedMediaType = (message: string): ServiceError => new ServiceError('UnsupportedStreamMediaTypeException', message, 400);
export const missingCodecPrivateData = (message: string): ServiceError => new ServiceError('MissingCodecPrivateDataException', message, 400);
export const serviceUnavailable = (message: string): ServiceError => new ServiceError('ServiceUnavailableException', message, 503);

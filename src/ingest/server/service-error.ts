/**
 * An error as an AWS service returns it: `{"__type": type, "message": message}` with `status`.
 * The SDK maps `type` to its exception class (ResourceNotFoundException, ...), so the type strings must be
 * exactly AWS's and the messages should read like AWS's.
 */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const validationError = (message: string): ServiceError => new ServiceError('ValidationException', message);
export const invalidArgument = (message: string): ServiceError => new ServiceError('InvalidArgumentException', message);
export const resourceNotFound = (message: string): ServiceError => new ServiceError('ResourceNotFoundException', message);
export const resourceInUse = (message: string): ServiceError => new ServiceError('ResourceInUseException', message);
export const limitExceeded = (message: string): ServiceError => new ServiceError('LimitExceededException', message);
export const serializationError = (message: string): ServiceError => new ServiceError('SerializationException', message);

/** DynamoDB's errors in the domain's words: translated here, at the edge. */
import { RecordTooLargeError, ServiceUnavailableError } from '../domain/errors.ts';

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

export function isConditionFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

function isItemTooLarge(error: unknown): boolean {
  return errorName(error) === 'ValidationException' && /item size/i.test(error instanceof Error ? error.message : '');
}

const UNAVAILABLE = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
]);

/** Throttling and 5xx become ServiceUnavailableError (the API answers 503); the rest pass through. */
export function translate(error: unknown): unknown {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = errorName(error);
  if (isItemTooLarge(error)) return new RecordTooLargeError('The job record would exceed the 400 KB item limit', { cause: error });
  if ((name && UNAVAILABLE.has(name)) || (status !== undefined && status >= 500)) {
    return new ServiceUnavailableError('The job store is temporarily unavailable', { cause: error });
  }
  return error;
}

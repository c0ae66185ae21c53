/**
 * Domain errors. Adapters translate SDK errors into these; only the HTTP layer maps them to
 * status codes. No AWS imports here.
 */

export interface FieldError {
  /** Dotted path of the offending field, e.g. `input.prompt`. */
  readonly path: string;
  readonly message: string;
}

export class DomainError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The job does not exist, or belongs to someone else (the two are indistinguishable). */
export class JobNotFoundError extends DomainError {
  constructor(readonly jobId: string) {
    super(`No job with id ${jobId}`);
  }
}

/** The requested status change is not allowed from the job's current status. */
export class InvalidTransitionError extends DomainError {
  constructor(
    readonly jobId: string,
    readonly currentStatus: string,
    readonly action: string,
  ) {
    super(`Cannot ${action} job ${jobId}: its status is ${currentStatus}`);
  }
}

/** The job has no result to return yet (or never will). */
export class JobNotCompletedError extends DomainError {
  constructor(
    readonly jobId: string,
    readonly currentStatus: string,
  ) {
    super(`Job ${jobId} has no result: its status is ${currentStatus}`);
  }
}

/** The request is well-formed JSON but breaks the contract (unknown type, bad input). */
export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly errors: readonly FieldError[],
    readonly code: 'VALIDATION_FAILED' | 'UNKNOWN_JOB_TYPE' = 'VALIDATION_FAILED',
  ) {
    super(message);
  }
}

/** A chained job names source jobs that have not finished yet; the client may try again. */
export class SourceNotReadyError extends DomainError {
  constructor(readonly sources: readonly { readonly id: string; readonly status: string }[]) {
    super(
      `Source job(s) not finished yet: ${sources.map((s) => `${s.id} is ${s.status}`).join(', ')}; ` +
        'create this job once they are COMPLETED',
    );
  }
}

/** A list cursor that was not issued by this service for this caller and query. */
export class InvalidCursorError extends DomainError {
  constructor() {
    super('The cursor is invalid: pass back the nextCursor of a previous page unchanged');
  }
}

/** A conditional write lost: the record changed since it was read. */
export class ConcurrentUpdateError extends DomainError {
  constructor(readonly jobId: string) {
    super(`Job ${jobId} changed concurrently`);
  }
}

/** A job id that is already taken (create is not idempotent on id collisions). */
export class JobAlreadyExistsError extends DomainError {
  constructor(readonly jobId: string) {
    super(`Job ${jobId} already exists`);
  }
}

/** An idempotency key the caller already used, within its 24 hours, for a different request. */
export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super('This Idempotency-Key was already used with a different request; use a new key for a new request');
  }
}

/** The caller has as many unfinished jobs as they may have; nothing was written. */
export class TooManyJobsError extends DomainError {
  constructor(
    readonly limit: number,
    readonly retryAfterSeconds: number,
    /** The job type whose own limit was reached; undefined for the overall quota. */
    readonly jobType?: string,
    /** Whose unfinished jobs were counted: the caller's personal ones, or a workspace's. */
    readonly scope: 'caller' | 'workspace' = 'caller',
  ) {
    const holder = scope === 'workspace' ? 'This workspace has' : 'You have';
    super(
      jobType
        ? `${holder} ${limit} unfinished (PENDING or PROCESSING) ${jobType} jobs, the most allowed for that type; create more once some finish`
        : `${holder} ${limit} unfinished (PENDING or PROCESSING) jobs, the most allowed; create more once some finish`,
    );
  }
}

/** The record would exceed the store's item size limit. */
export class RecordTooLargeError extends DomainError {}

/** A stored payload is gone (it expired with its job, or was deleted) or does not match its reference. */
export class PayloadMissingError extends DomainError {
  constructor(readonly key: string, detail = 'is missing') {
    super(`The stored payload ${key} ${detail}`);
  }
}

/** A backing service is temporarily unavailable (throttling, 5xx); the caller may retry. */
export class ServiceUnavailableError extends DomainError {}

/**
 * Thrown by a processor (or a model adapter) for a failure that will not go away on retry:
 * bad input, a model validation error, missing access. The job ends FAILED at once.
 */
export class NonRetryableError extends DomainError {}

/**
 * Thrown by a processor for a failure that may succeed later (throttling, timeouts, 5xx). Any
 * other error a processor throws is treated as retryable too; this class exists to say so.
 */
export class RetryableError extends DomainError {}

/** The attempt ran past its time limit. Retryable. */
export class AttemptTimeoutError extends RetryableError {}

/** The job was cancelled, or its lease taken over, while the attempt was running. */
export class AttemptAbandonedError extends DomainError {}

/** Configuration is missing or invalid; raised at start-up. */
export class ConfigurationError extends DomainError {}

/** RFC 9457 problem details: every error response of the API. */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Stable, machine-readable error codes; `type` is derived from them. */
export type ProblemCode =
  | 'INVALID_JSON'
  | 'INVALID_JOB_ID'
  | 'INVALID_QUERY'
  | 'INVALID_CURSOR'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INSUFFICIENT_SCOPE'
  | 'JOB_NOT_FOUND'
  | 'INVALID_TRANSITION'
  | 'SOURCE_NOT_READY'
  | 'CONCURRENT_UPDATE'
  | 'JOB_NOT_COMPLETED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'VALIDATION_FAILED'
  | 'UNKNOWN_JOB_TYPE'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'TOO_MANY_JOBS'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR'
  // Workspaces (issue 11).
  | 'WORKSPACE_ACCESS_DENIED'
  | 'WORKSPACE_ROLE_FORBIDDEN'
  | 'LAST_OWNER'
  | 'WORKSPACE_NOT_EMPTY'
  | 'MEMBER_NOT_FOUND'
  // Only the local gateway (lib/local/gateway.ts) answers these; API Gateway itself answers
  // 403 "Missing Authentication Token" for an unknown path or method.
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  // Only the local gateway, for requests Node's HTTP parser refuses (API Gateway has its own).
  | 'URI_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'MALFORMED_REQUEST';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ProblemCode;
  readonly requestId: string;
  readonly [extension: string]: unknown;
}

export const PROBLEM_TITLES: Record<ProblemCode, string> = {
  INVALID_JSON: 'Malformed request body',
  INVALID_JOB_ID: 'Invalid job id',
  INVALID_QUERY: 'Invalid query parameters',
  INVALID_CURSOR: 'Invalid cursor',
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  INSUFFICIENT_SCOPE: 'Insufficient scope',
  JOB_NOT_FOUND: 'Job not found',
  INVALID_TRANSITION: 'Action not allowed in the current status',
  SOURCE_NOT_READY: 'Source jobs not finished yet',
  CONCURRENT_UPDATE: 'The job changed during the request',
  JOB_NOT_COMPLETED: 'Job has no result',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  VALIDATION_FAILED: 'Validation failed',
  UNKNOWN_JOB_TYPE: 'Unknown job type',
  INVALID_IDEMPOTENCY_KEY: 'Invalid Idempotency-Key header',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency-Key used for a different request',
  TOO_MANY_JOBS: 'Too many unfinished jobs',
  SERVICE_UNAVAILABLE: 'Service temporarily unavailable',
  INTERNAL_ERROR: 'Internal error',
  WORKSPACE_ACCESS_DENIED: 'Not a member of this workspace',
  WORKSPACE_ROLE_FORBIDDEN: 'Your role does not allow this',
  LAST_OWNER: 'A workspace keeps at least one owner',
  WORKSPACE_NOT_EMPTY: 'The workspace still holds jobs',
  MEMBER_NOT_FOUND: 'Member not found',
  ROUTE_NOT_FOUND: 'No such route',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  URI_TOO_LONG: 'URL too long',
  HEADERS_TOO_LARGE: 'Request headers too large',
  MALFORMED_REQUEST: 'Malformed HTTP request',
};

export function problemType(code: ProblemCode): string {
  return `urn:async-jobs:problem:${code.toLowerCase().replaceAll('_', '-')}`;
}

export function problem(
  status: number,
  code: ProblemCode,
  detail: string,
  requestId: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return { type: problemType(code), title: PROBLEM_TITLES[code], status, detail, code, requestId, ...extensions };
}

/** An error the HTTP layer raises itself (bad query, bad body…), carrying its problem. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

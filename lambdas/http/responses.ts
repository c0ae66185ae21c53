/** Building responses: JSON bodies, CORS, the request id header, ETags, and errors as problems. */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  InvalidCursorError,
  ConcurrentUpdateError,
  InvalidTransitionError,
  SourceNotReadyError,
  JobNotCompletedError,
  JobNotFoundError,
  ServiceUnavailableError,
  ValidationError,
  IdempotencyKeyReusedError,
  TooManyJobsError,
} from '../domain/errors.ts';
import { IDEMPOTENCY } from '../domain/fingerprints.ts';
import {
  ConcurrentMembershipError,
  MemberNotFoundError,
  WorkspaceAccessDeniedError,
  WorkspaceNotEmptyError,
  WorkspaceOwnerRequiredError,
  WorkspaceRoleForbiddenError,
} from '../domain/workspace.ts';
import type { Logger } from '../domain/ports.ts';
import { HttpError, PROBLEM_CONTENT_TYPE, problem, type Problem } from './problem.ts';
import { header } from './request.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Request headers a browser may send beyond aws-cdk-lib's `Cors.DEFAULT_HEADERS` (the preflight allows them). */
/** The methods a CORS preflight allows (the stack's and the local gateway's); PUT, PATCH and DELETE since workspaces. */
export const CORS_ALLOW_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const CORS_EXTRA_REQUEST_HEADERS = [IDEMPOTENCY.header, 'If-None-Match'] as const;

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** CORS headers for the request's Origin, given the allowed origins (`*` allows any). */
export function corsHeaders(event: APIGatewayProxyEvent, origins: readonly string[]): Record<string, string> {
  const exposed = { 'Access-Control-Expose-Headers': `Location, Retry-After, ETag, ${REQUEST_ID_HEADER}, ${IDEMPOTENCY.replayedHeader}` };
  if (origins.includes('*')) return { 'Access-Control-Allow-Origin': '*', ...exposed };
  const origin = header(event, 'origin');
  if (origin && origins.includes(origin)) return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...exposed };
  return { Vary: 'Origin' };
}

export function toResult(
  response: ApiResponse,
  requestId: string,
  cors: Record<string, string>,
  contentType = 'application/json',
): APIGatewayProxyResult {
  return {
    statusCode: response.status,
    headers: {
      'Content-Type': contentType,
      'Cache-Control': 'no-store',
      [REQUEST_ID_HEADER]: requestId,
      ...cors,
      ...response.headers,
    },
    body: JSON.stringify(response.body),
  };
}

/** A strong ETag of a response body: the first 128 bits of its SHA-256. */
export function entityTag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
}

/** Whether an `If-None-Match` header names this ETag (weak comparison, `*` included, as RFC 9110 says). */
export function matchesEntityTag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/**
 * A conditional GET: a 200 gets the ETag of its body, and `private, no-cache` (a browser keeps it
 * and revalidates each time); when the request's `If-None-Match` names that ETag, the answer is a
 * 304 with no body and the same headers (ETag, Retry-After, CORS, request id).
 */
export function conditional(event: APIGatewayProxyEvent, result: APIGatewayProxyResult): APIGatewayProxyResult {
  if (event.httpMethod !== 'GET' || result.statusCode !== 200) return result;
  const etag = entityTag(result.body);
  const headers: Record<string, string | number | boolean> = { ...result.headers, ETag: etag, 'Cache-Control': 'private, no-cache' };
  if (!matchesEntityTag(header(event, 'if-none-match'), etag)) return { ...result, headers };
  const notModified = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type'));
  return { statusCode: 304, headers: notModified, body: '' };
}

/** Maps an error to a problem. Unknown errors become a 500 that reveals nothing. */
export function toProblem(error: unknown, requestId: string, logger: Logger): { problem: Problem; headers?: Record<string, string> } {
  if (error instanceof HttpError) {
    return { problem: problem(error.status, error.code, error.detail, requestId, error.extensions) };
  }
  if (error instanceof ValidationError) {
    return { problem: problem(422, error.code, error.message, requestId, { errors: error.errors }) };
  }
  if (error instanceof JobNotFoundError) {
    return { problem: problem(404, 'JOB_NOT_FOUND', error.message, requestId) };
  }
  if (error instanceof InvalidTransitionError) {
    return {
      problem: problem(409, 'INVALID_TRANSITION', error.message, requestId, { currentStatus: error.currentStatus }),
    };
  }
  if (error instanceof JobNotCompletedError) {
    return {
      problem: problem(409, 'JOB_NOT_COMPLETED', error.message, requestId, { currentStatus: error.currentStatus }),
    };
  }
  if (error instanceof SourceNotReadyError) {
    return {
      problem: problem(409, 'SOURCE_NOT_READY', error.message, requestId, { sources: error.sources }),
      headers: { 'Retry-After': '3' },
    };
  }
  if (error instanceof ConcurrentUpdateError) {
    return {
      problem: problem(409, 'CONCURRENT_UPDATE', 'The job kept changing while we updated it; read it again and retry', requestId),
      headers: { 'Retry-After': '1' },
    };
  }
  if (error instanceof IdempotencyKeyReusedError) {
    return { problem: problem(422, 'IDEMPOTENCY_KEY_REUSED', error.message, requestId) };
  }
  if (error instanceof TooManyJobsError) {
    return {
      problem: problem(429, 'TOO_MANY_JOBS', error.message, requestId, {
        limit: error.limit,
        // `type` is the problem's own member (RFC 9457): the job type goes in `jobType`.
        // `scope`: whose quota (the caller's, or the workspace's for a workspace job), or the type's own limit.
        ...(error.jobType ? { scope: 'type', jobType: error.jobType } : { scope: error.scope }),
      }),
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
    };
  }
  if (error instanceof InvalidCursorError) {
    return { problem: problem(400, 'INVALID_CURSOR', error.message, requestId) };
  }
  const workspace = workspaceProblem(error, requestId);
  if (workspace) return { problem: workspace };
  if (error instanceof ServiceUnavailableError) {
    logger.warn('dependency unavailable', { error });
    return {
      problem: problem(503, 'SERVICE_UNAVAILABLE', 'Please retry shortly', requestId),
      headers: { 'Retry-After': '3' },
    };
  }
  logger.error('unhandled error', { error });
  return { problem: problem(500, 'INTERNAL_ERROR', 'An unexpected error occurred; quote the requestId when reporting it', requestId) };
}

/** The workspace errors' problems (issue 11); undefined for any other error. */
function workspaceProblem(error: unknown, requestId: string): Problem | undefined {
  if (error instanceof WorkspaceAccessDeniedError) return problem(403, 'WORKSPACE_ACCESS_DENIED', error.message, requestId);
  if (error instanceof WorkspaceRoleForbiddenError) {
    return problem(403, 'WORKSPACE_ROLE_FORBIDDEN', error.message, requestId, { role: error.role, action: error.action });
  }
  if (error instanceof WorkspaceOwnerRequiredError) return problem(409, 'LAST_OWNER', error.message, requestId);
  if (error instanceof WorkspaceNotEmptyError) return problem(409, 'WORKSPACE_NOT_EMPTY', error.message, requestId);
  if (error instanceof MemberNotFoundError) return problem(404, 'MEMBER_NOT_FOUND', error.message, requestId);
  if (error instanceof ConcurrentMembershipError) return problem(409, 'CONCURRENT_UPDATE', error.message, requestId);
  return undefined;
}

export function problemResult(
  error: unknown,
  requestId: string,
  cors: Record<string, string>,
  logger: Logger,
): APIGatewayProxyResult {
  const { problem: body, headers } = toProblem(error, requestId, logger);
  return toResult({ status: body.status, body, ...(headers ? { headers } : {}) }, requestId, cors, PROBLEM_CONTENT_TYPE);
}

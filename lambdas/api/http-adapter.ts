/**
 * The HTTP adapter every route shares: turns a route's logic into a Lambda handler for API
 * Gateway REST proxy events. Request id, caller, CORS, JSON responses and problem+json errors are
 * handled here once for every route.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { IDEMPOTENCY } from '../domain/fingerprints.ts';
import { pollAfterSeconds, toView, type Job } from '../domain/job.ts';
import type { JobOutcome } from '../use-cases/flow-control.ts';
import type { Logger } from '../domain/ports.ts';
import { requireScope, type Principal } from '../http/principal.ts';
import { callerPrincipal, type TokenCaller } from '../http/request.ts';
import { conditional, corsHeaders, entityTag, problemResult, toResult, type ApiResponse } from '../http/responses.ts';
import type { RouteName } from './routes.ts';

export interface ApiRequest {
  readonly event: APIGatewayProxyEvent;
  /** The caller: a person or a machine client, with the scopes it holds. */
  readonly principal: Principal;
  /** The owner of the caller's personal jobs: `principal.id`. */
  readonly ownerId: string;
  readonly requestId: string;
  readonly logger: Logger;
}

/** A route's logic: the request, and the use case its function is wired with. */
export type RouteLogic<UseCase> = (request: ApiRequest, useCase: UseCase) => Promise<ApiResponse>;

export interface RouteDependencies<UseCase> {
  readonly useCase: UseCase;
  /** The scope a machine client's token needs for this route (routeScope). */
  readonly scope: string;
  readonly logger: Logger;
  readonly origins: readonly string[];
  /**
   * LocalStack deployment only (LOCAL_JWKS set): verifies the bearer token when no authorizer
   * context reached the function, as on LocalStack's free edition, which never runs authorizers.
   */
  readonly verifyToken?: TokenCaller;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export function createRouteHandler<UseCase>(name: RouteName, logic: RouteLogic<UseCase>, deps: RouteDependencies<UseCase>): ApiHandler {
  const baseLogger = deps.logger.child({ route: name });
  return async (event, context) => {
    const requestId = event.requestContext?.requestId || context?.awsRequestId || crypto.randomUUID();
    const logger = baseLogger.child({ requestId });
    const cors = corsHeaders(event, deps.origins);
    const started = Date.now();
    try {
      const principal = callerPrincipal(event, deps.verifyToken);
      // Before any work: a token without the route's scope changes and reads nothing.
      requireScope(principal, deps.scope);
      const response = await logic({ event, principal, ownerId: principal.id, requestId, logger }, deps.useCase);
      logger.info('request', { method: event.httpMethod, status: response.status, durationMs: Date.now() - started });
      return conditional(event, toResult(response, requestId, cors));
    } catch (error) {
      const result = problemResult(error, requestId, cors, logger);
      logger.info('request', { method: event.httpMethod, status: result.statusCode, durationMs: Date.now() - started });
      return result;
    }
  };
}

/** The API's base path before `/api/...` (the stage, e.g. `/prod`, or empty behind a custom domain). */
export function basePath(event: APIGatewayProxyEvent): string {
  const full = event.requestContext?.path ?? event.path;
  return full && event.path && full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : '';
}

/**
 * The answer to a create or a retry: 202 with the PENDING job, its Location and when to poll;
 * 201 for a job created COMPLETED (a reused result); 200 with `Idempotent-Replayed: true` for a
 * request repeated with its Idempotency-Key (the job as it is now, with the ETag a GET of it
 * answers, unless its result is in the bucket: a GET reads it, a replay does not).
 */
export function jobOutcome(event: APIGatewayProxyEvent, outcome: JobOutcome): ApiResponse {
  const { job } = outcome;
  const unfinished = job.status === 'PENDING' || job.status === 'PROCESSING';
  if (!outcome.replayed && unfinished) return acceptedJob(event, job);
  const body = toView(job);
  return {
    status: outcome.replayed ? 200 : 201,
    body,
    headers: {
      Location: `${basePath(event)}/api/jobs/${job.id}`,
      ...pollHeaders(job),
      ...(outcome.replayed ? { [IDEMPOTENCY.replayedHeader]: 'true' } : {}),
      ...(outcome.replayed && !job.resultRef ? { ETag: entityTag(JSON.stringify(body)) } : {}),
    },
  };
}

/** 202 with the PENDING job, its Location and when to poll: the answer to a create or a retry. */
export function acceptedJob(event: APIGatewayProxyEvent, job: Job): ApiResponse {
  return {
    status: 202,
    body: toView(job),
    headers: { Location: `${basePath(event)}/api/jobs/${job.id}`, ...pollHeaders(job) },
  };
}

/**
 * `Retry-After` for an unfinished job: seconds until a poll is useful (3, or until a scheduled
 * job starts, at most 300); none for a finished job.
 */
export function pollHeaders(job: Job, now: Date = new Date()): Record<string, string> {
  const seconds = pollAfterSeconds(job, now);
  return seconds === null ? {} : { 'Retry-After': String(seconds) };
}

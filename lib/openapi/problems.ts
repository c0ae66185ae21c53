/**
 * Which problems each route answers, and with which status: the error half of the OpenAPI
 * document. Statuses follow lambdas/http/responses.ts (toProblem) and lambdas/http/request.ts;
 * both tables are typed over every ProblemCode and RouteName, so a new code or route does not
 * compile until it is documented here, and the contract test fails on an answer listed nowhere.
 */
import type { RouteName } from '../../lambdas/api/routes.ts';
import type { ProblemCode } from '../../lambdas/http/problem.ts';

/** The status each code is answered with; the gateway's own codes included. */
export const PROBLEM_STATUS: Record<ProblemCode, number> = {
  INVALID_JSON: 400,
  INVALID_JOB_ID: 400,
  INVALID_QUERY: 400,
  INVALID_CURSOR: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  MALFORMED_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INSUFFICIENT_SCOPE: 403,
  WORKSPACE_ACCESS_DENIED: 403,
  WORKSPACE_ROLE_FORBIDDEN: 403,
  JOB_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_TRANSITION: 409,
  SOURCE_NOT_READY: 409,
  CONCURRENT_UPDATE: 409,
  JOB_NOT_COMPLETED: 409,
  LAST_OWNER: 409,
  WORKSPACE_NOT_EMPTY: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  UNKNOWN_JOB_TYPE: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  TOO_MANY_JOBS: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

/** Codes that come with a Retry-After header (seconds). */
export const RETRY_AFTER_CODES: readonly ProblemCode[] = ['SOURCE_NOT_READY', 'CONCURRENT_UPDATE', 'TOO_MANY_JOBS', 'SERVICE_UNAVAILABLE'];

/** Every route: no or a bad token, a token without the route's scope, a failure of ours or of a dependency. */
const EVERY_ROUTE: readonly ProblemCode[] = ['UNAUTHENTICATED', 'INSUFFICIENT_SCOPE', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'];
/** A JSON body (lambdas/http/request.ts jsonBody), checked field by field. */
const JSON_BODY: readonly ProblemCode[] = ['INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'VALIDATION_FAILED'];
/** A `{id}` path parameter: a UUID of a job the caller may read. */
const JOB_IN_PATH: readonly ProblemCode[] = ['INVALID_JOB_ID', 'JOB_NOT_FOUND'];
/** A `{wid}` path parameter: a workspace the caller belongs to, in a role that allows the route. */
const WORKSPACE_IN_PATH: readonly ProblemCode[] = ['WORKSPACE_ACCESS_DENIED', 'WORKSPACE_ROLE_FORBIDDEN'];
const IDEMPOTENT: readonly ProblemCode[] = ['INVALID_IDEMPOTENCY_KEY', 'IDEMPOTENCY_KEY_REUSED', 'TOO_MANY_JOBS'];

const JOB_ROUTES = {
  'create-job': [...JSON_BODY, ...IDEMPOTENT, 'UNKNOWN_JOB_TYPE', 'SOURCE_NOT_READY', 'CONCURRENT_UPDATE'],
  'list-jobs': ['INVALID_QUERY', 'INVALID_CURSOR'],
  'get-job': JOB_IN_PATH,
  'get-job-status': JOB_IN_PATH,
  'get-job-result': [...JOB_IN_PATH, 'JOB_NOT_COMPLETED'],
  'cancel-job': [...JOB_IN_PATH, 'INVALID_TRANSITION', 'CONCURRENT_UPDATE'],
  'retry-job': [...JOB_IN_PATH, ...IDEMPOTENT, 'INVALID_TRANSITION', 'CONCURRENT_UPDATE'],
} as const satisfies Record<string, readonly ProblemCode[]>;

type JobRoute = keyof typeof JOB_ROUTES;

/**
 * Each personal job route's entry for its twin under /api/workspaces/{wid}/jobs (routes.ts
 * `inWorkspace`: `workspace-<name>`), made by `lift`.
 */
export function workspaceVariants<Name extends string, T>(personal: Readonly<Record<Name, unknown>>, lift: (name: Name) => T): Record<`workspace-${Name}`, T> {
  return Object.fromEntries(Object.keys(personal).map((name) => [`workspace-${name}`, lift(name as Name)])) as Record<`workspace-${Name}`, T>;
}
const inWorkspace = (name: JobRoute): readonly ProblemCode[] => [...JOB_ROUTES[name], ...WORKSPACE_IN_PATH];

const ROUTE_PROBLEMS: Record<RouteName, readonly ProblemCode[]> = {
  ...JOB_ROUTES,
  'create-upload': JSON_BODY,
  'get-me': [],
  'create-workspace': JSON_BODY,
  'list-workspaces': ['INVALID_QUERY'],
  'get-workspace': WORKSPACE_IN_PATH,
  'update-workspace': [...JSON_BODY, ...WORKSPACE_IN_PATH],
  'delete-workspace': [...WORKSPACE_IN_PATH, 'WORKSPACE_NOT_EMPTY'],
  'list-members': WORKSPACE_IN_PATH,
  'put-member': [...JSON_BODY, ...WORKSPACE_IN_PATH, 'LAST_OWNER', 'CONCURRENT_UPDATE'],
  'remove-member': [...WORKSPACE_IN_PATH, 'VALIDATION_FAILED', 'MEMBER_NOT_FOUND', 'LAST_OWNER', 'CONCURRENT_UPDATE'],
  ...workspaceVariants(JOB_ROUTES, inWorkspace),
};

/**
 * The gateway's own answers when the function fails or runs past the integration timeout (API
 * Gateway's 502 and 504; the local gateway answers them as problems with these codes).
 */
const GATEWAY_ANSWERS: readonly (readonly [number, ProblemCode])[] = [
  [502, 'INTERNAL_ERROR'],
  [504, 'SERVICE_UNAVAILABLE'],
];

/** The problems a route answers, by status (each status's codes in a stable order). */
export function routeProblems(name: RouteName): Map<number, ProblemCode[]> {
  const byStatus = new Map<number, ProblemCode[]>();
  const answers = [...new Set([...EVERY_ROUTE, ...ROUTE_PROBLEMS[name]])].map((code) => [PROBLEM_STATUS[code], code] as const);
  for (const [status, code] of [...answers, ...GATEWAY_ANSWERS]) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

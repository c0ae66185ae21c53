/**
 * The machine-client rows of the authorization matrix, shared by the unit and the e2e matrices:
 * who calls (a person, a client with each scope set, nobody) and what each route answers them.
 */
import type { RouteName } from '../../lambdas/api/routes.ts';

export type Caller = 'person' | 'read' | 'write' | 'both' | 'none' | 'anonymous';
export const CALLERS: readonly Caller[] = ['person', 'read', 'write', 'both', 'none', 'anonymous'];

/** The `scope` of each machine client's token. */
export const CLIENT_SCOPES: Readonly<Record<Exclude<Caller, 'person' | 'anonymous'>, string>> = {
  read: 'jobs/read',
  write: 'jobs/write',
  both: 'jobs/read jobs/write',
  none: '',
};

/** The routes `jobs/read` covers (every GET, the workspace routes' too); `jobs/write` covers the others. */
export const READ_ROUTES: ReadonlySet<RouteName> = new Set([
  'list-jobs',
  'get-job',
  'get-job-status',
  'get-job-result',
  'get-me',
  'list-workspaces',
  'get-workspace',
  'list-members',
  'workspace-list-jobs',
  'workspace-get-job',
  'workspace-get-job-status',
  'workspace-get-job-result',
]);

/**
 * The routes under `/api/workspaces/{wid}`: a principal that is not a member of the workspace gets
 * 403 WORKSPACE_ACCESS_DENIED there — once its token has the route's scope (the scope is checked first).
 */
export const MEMBERS_ONLY_ROUTES: ReadonlySet<RouteName> = new Set([
  'get-workspace',
  'update-workspace',
  'delete-workspace',
  'list-members',
  'put-member',
  'remove-member',
  'workspace-create-job',
  'workspace-list-jobs',
  'workspace-get-job',
  'workspace-get-job-status',
  'workspace-get-job-result',
  'workspace-cancel-job',
  'workspace-retry-job',
]);

/** An expected answer: its status and, for a problem, its code. */
export interface Expected {
  readonly status: number;
  readonly code?: string;
}

/** Whether the caller's token holds the route's scope (a person holds every scope). */
function holdsScope(caller: Caller, route: RouteName): boolean {
  if (caller === 'person' || caller === 'both') return true;
  if (caller === 'none' || caller === 'anonymous') return false;
  return READ_ROUTES.has(route) === (caller === 'read');
}

/**
 * 401 UNAUTHENTICATED without a token, 403 INSUFFICIENT_SCOPE without the route's scope, else what
 * the route answers this caller (`allowed`: e.g. 403 WORKSPACE_ACCESS_DENIED to a non-member).
 */
export function expectedAnswer(caller: Caller, route: RouteName, allowed: number | Expected): Expected {
  if (caller === 'anonymous') return { status: 401, code: 'UNAUTHENTICATED' };
  if (!holdsScope(caller, route)) return { status: 403, code: 'INSUFFICIENT_SCOPE' };
  return typeof allowed === 'number' ? { status: allowed } : allowed;
}

/** expectedAnswer's status. */
export function expectedStatus(caller: Caller, route: RouteName, allowed: number): number {
  return expectedAnswer(caller, route, allowed).status;
}

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

/** The routes `jobs/read` covers; `jobs/write` covers the others. */
export const READ_ROUTES: ReadonlySet<RouteName> = new Set(['list-jobs', 'get-job', 'get-job-status', 'get-job-result']);

/** 401 without a token, 403 without the route's scope, else what the route answers (`allowed`). */
export function expectedStatus(caller: Caller, route: RouteName, allowed: number): number {
  if (caller === 'anonymous') return 401;
  if (caller === 'person' || caller === 'both') return allowed;
  if (caller === 'none') return 403;
  return READ_ROUTES.has(route) === (caller === 'read') ? allowed : 403;
}

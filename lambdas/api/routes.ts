/**
 * The one route table. The CDK stack builds API resources and one function per route from it,
 * and the local gateway routes with it. Adding a route is one entry here and one handler file.
 */

/** DynamoDB actions a route's function may call on the jobs table. */
export type TableAction = 'dynamodb:GetItem' | 'dynamodb:BatchGetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:Query';

/** Object actions on one prefix of the payload bucket (PAYLOADS.prefixes). */
export type PayloadAccess = Readonly<Partial<Record<'inputs' | 'results' | 'uploads', readonly ('s3:GetObject' | 's3:PutObject')[]>>>;

/** DynamoDB actions a route's function may call on the workspaces table (WORKSPACES_TABLE). */
export type WorkspacesTableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Query';

export interface RouteAccess {
  /**
   * Actions on the workspaces table (Query on the table itself: a workspace's members); the job
   * routes under a workspace need only GetItem (the caller's membership, strongly consistent).
   */
  readonly workspaces?: readonly WorkspacesTableAction[];
  /** May Query the workspaces table's `byPrincipal` index (a caller's workspaces). */
  readonly workspacesByPrincipal?: boolean;
  /** Actions on the jobs table (and its indexes, for Query). */
  readonly table: readonly TableAction[];
  /** The indexes Query may read (with `dynamodb:Query` only); none else. */
  readonly indexes?: readonly JobsTableIndexName[];
  /** Objects of the payload bucket the route reads or writes, by prefix. */
  readonly payloads?: PayloadAccess;
  /** May send messages to the jobs queues (every priority band's). */
  readonly queueSend?: boolean;
  /** May read the cursor-signing secret. */
  readonly cursorSecret?: boolean;
}

export interface RouteDefinition {
  /** Stable name: the function's construct id and the handler file's base name. */
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway resource path, `{param}` for path parameters. */
  readonly path: string;
  /** Handler module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly summary: string;
  readonly access: RouteAccess;
  /**
   * The scope a machine client's token needs (`jobs/read` or `jobs/write`). Default: by method,
   * GET and HEAD read, every other method writes (requiredScope); set it only to override that.
   */
  readonly scope?: RouteScope;
}

import { requiredScope, type RouteScope } from '../http/principal.ts';
import { JOBS_TABLE, LOCAL_TOKENS_DEFINE, ROUTE_SCOPE_DEFINE, type JobsTableIndexName } from '../shared/resources.ts';
import { WORKSPACE_ROUTES } from './workspace-routes.ts';

const handlerEntry = (name: string) => `lambdas/api/handlers/${name}.ts`;

const PERSONAL_ROUTES = [
  {
    name: 'create-job',
    method: 'POST',
    path: '/api/jobs',
    entry: handlerEntry('create-job'),
    summary: 'Create a job; 202 with its record and Location',
    // GetItem: chained types check their source jobs, an Idempotency-Key's record and job are read;
    // PutItem: the job and the key's record; UpdateItem: a failed send pulls dueAt forward.
    // Query: byActive counts the caller's unfinished jobs (the quota, and those of the job's type for its own limit), byReuse finds a reusable result.
    // Objects: inputs over the inline limit are stored under inputs/; an uploaded document is
    // checked (HeadObject) and copied (CopyObject) from uploads/ to inputs/; a reused result
    // stored in results/ is copied (CopyObject) to the new job's results/.
    access: {
      table: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      indexes: [JOBS_TABLE.activeIndex.name, JOBS_TABLE.reuseIndex.name],
      payloads: { inputs: ['s3:PutObject'], uploads: ['s3:GetObject'], results: ['s3:GetObject', 's3:PutObject'] },
      queueSend: true,
    },
  },
  {
    name: 'list-jobs',
    method: 'GET',
    path: '/api/jobs',
    entry: handlerEntry('list-jobs'),
    summary: "List the caller's jobs, newest first, or by last update",
    // Query on byOwner (keys and type) or byOwnerUpdated (keys), then BatchGetItem for the page's records.
    access: {
      table: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
      indexes: [JOBS_TABLE.ownerIndex.name, JOBS_TABLE.ownerUpdatedIndex.name],
      cursorSecret: true,
    },
  },
  {
    name: 'get-job',
    method: 'GET',
    path: '/api/jobs/{id}',
    entry: handlerEntry('get-job'),
    summary: 'Get a job record (poll this every 3 seconds): the caller\'s own, or one of a workspace they are a member of',
    // GetObject on results/: a COMPLETED job's result over the inline limit. Workspaces GetItem: the
    // caller's membership of a workspace job's workspace.
    access: { table: ['dynamodb:GetItem'], payloads: { results: ['s3:GetObject'] }, workspaces: ['dynamodb:GetItem'] },
  },
  {
    name: 'get-job-status',
    method: 'GET',
    path: '/api/jobs/{id}/status',
    entry: handlerEntry('get-job-status'),
    summary: 'Get the smallest answer a poller needs: { id, status, progress, updatedAt }',
    // One GetItem of the job's record; no payloads, so no S3 client in its bundle. Workspaces
    // GetItem: the caller's membership of a workspace job's workspace.
    access: { table: ['dynamodb:GetItem'], workspaces: ['dynamodb:GetItem'] },
  },
  {
    name: 'get-job-result',
    method: 'GET',
    path: '/api/jobs/{id}/result',
    entry: handlerEntry('get-job-result'),
    summary: "Get a completed job's result: the caller's own job, or one of a workspace they are a member of",
    // Workspaces GetItem: the caller's membership of a workspace job's workspace.
    access: { table: ['dynamodb:GetItem'], payloads: { results: ['s3:GetObject'] }, workspaces: ['dynamodb:GetItem'] },
  },
  {
    name: 'cancel-job',
    method: 'POST',
    path: '/api/jobs/{id}/cancel',
    entry: handlerEntry('cancel-job'),
    summary: 'Cancel a pending or processing job',
    access: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  },
  {
    name: 'retry-job',
    method: 'POST',
    path: '/api/jobs/{id}/retry',
    entry: handlerEntry('retry-job'),
    summary: 'Run a failed or cancelled job again',
    // PutItem: an Idempotency-Key's record; Query: byActive counts the caller's unfinished jobs (the quota and its type's limit).
    access: {
      table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      indexes: [JOBS_TABLE.activeIndex.name],
      queueSend: true,
    },
  },
  {
    name: 'create-upload',
    method: 'POST',
    path: '/api/uploads',
    entry: handlerEntry('create-upload'),
    summary: 'Get a presigned URL to upload a document (up to 4.5 MB) for a job',
    // PutObject on uploads/: the presigned URL is signed with this function's credentials.
    access: { table: [], payloads: { uploads: ['s3:PutObject'] } },
  },
] as const satisfies readonly RouteDefinition[];

type PersonalRoute = (typeof PERSONAL_ROUTES)[number];
type JobRouteName = Exclude<PersonalRoute['name'], 'create-upload'>;

/**
 * A personal job route under `/api/workspaces/{wid}/jobs`: the same method, answers and access,
 * plus GetItem on the workspaces table (the caller's membership, read strongly consistent).
 */
function inWorkspace<Name extends JobRouteName>(name: Name): RouteDefinition & { readonly name: `workspace-${Name}` } {
  const route: RouteDefinition = PERSONAL_ROUTES.find((candidate) => candidate.name === name)!;
  return {
    name: `workspace-${name}`,
    method: route.method,
    path: route.path.replace('/api/jobs', '/api/workspaces/{wid}/jobs'),
    entry: `lambdas/api/handlers/workspaces/workspace-${name}.ts`,
    summary: `In a workspace: ${route.summary}`,
    access: { ...route.access, workspaces: ['dynamodb:GetItem'] },
  };
}

export const ROUTES = [
  ...PERSONAL_ROUTES,
  ...WORKSPACE_ROUTES,
  inWorkspace('create-job'),
  inWorkspace('list-jobs'),
  inWorkspace('get-job'),
  inWorkspace('get-job-status'),
  inWorkspace('get-job-result'),
  inWorkspace('cancel-job'),
  inWorkspace('retry-job'),
] as const satisfies readonly RouteDefinition[];

export type RouteName = (typeof ROUTES)[number]['name'];

/** The routes of issue 11: GET /api/me, workspaces, members and the job routes in a workspace. */
export function workspaceRouteNames(): RouteName[] {
  return ROUTES.filter((route) => route.path === '/api/me' || route.path.startsWith('/api/workspaces')).map((route) => route.name);
}

/** The scope a route requires (`jobs/read` or `jobs/write`): its own, else by its method. */
export function routeScope(name: string): string {
  const route: RouteDefinition | undefined = ROUTES.find((candidate) => candidate.name === name);
  if (!route) throw new Error(`Unknown route ${name}`);
  return requiredScope(route);
}

/**
 * The compile-time constants a route's function is bundled with (the stack, the bundle tests and
 * the benchmark): whether it verifies local tokens itself (LocalStack) and its scope, so the
 * bundle needs no route table.
 */
export function routeDefines(name: string, localTokens: boolean): Record<string, string> {
  return { [LOCAL_TOKENS_DEFINE]: String(localTokens), [ROUTE_SCOPE_DEFINE]: JSON.stringify(routeScope(name)) };
}

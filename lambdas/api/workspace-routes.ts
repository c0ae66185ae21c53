/**
 * The routes of issue 11's workspaces, part of the route table (routes.ts): `GET /api/me`, the
 * workspaces and their members, and the job routes under `/api/workspaces/{wid}/jobs`, which
 * answer as the personal ones do after one strongly consistent read of the caller's membership.
 */
import { JOBS_TABLE } from '../shared/resources.ts';
import type { RouteDefinition } from './routes.ts';

const entry = (name: string) => `lambdas/api/handlers/workspaces/${name}.ts`;
const JOBS = '/api/workspaces/{wid}/jobs';

export const WORKSPACE_ROUTES = [
  {
    name: 'get-me',
    method: 'GET',
    path: '/api/me',
    entry: entry('get-me'),
    summary: "The caller's principal id and kind (tell a teammate this id to be added to a workspace)",
    access: { table: [] },
  },
  {
    name: 'create-workspace',
    method: 'POST',
    path: '/api/workspaces',
    entry: entry('create-workspace'),
    summary: 'Create a workspace; the caller is its owner',
    // PutItem: the workspace and the owner's membership; UpdateItem: the owner count.
    access: { table: [], workspaces: ['dynamodb:PutItem', 'dynamodb:UpdateItem'] },
  },
  {
    name: 'list-workspaces',
    method: 'GET',
    path: '/api/workspaces',
    entry: entry('list-workspaces'),
    summary: "The caller's workspaces with their role",
    // Query byPrincipal: the caller's memberships; BatchGetItem: the workspaces' names.
    access: { table: [], workspaces: ['dynamodb:Query', 'dynamodb:BatchGetItem'], workspacesByPrincipal: true },
  },
  {
    name: 'get-workspace',
    method: 'GET',
    path: '/api/workspaces/{wid}',
    entry: entry('get-workspace'),
    summary: 'A workspace, with the caller\'s role',
    access: { table: [], workspaces: ['dynamodb:GetItem'] },
  },
  {
    name: 'update-workspace',
    method: 'PATCH',
    path: '/api/workspaces/{wid}',
    entry: entry('update-workspace'),
    summary: 'Rename a workspace (owners)',
    access: { table: [], workspaces: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  },
  {
    name: 'delete-workspace',
    method: 'DELETE',
    path: '/api/workspaces/{wid}',
    entry: entry('delete-workspace'),
    summary: 'Delete an empty workspace (owners); 409 while it holds jobs',
    // Jobs table: one page of byOwner under the workspace's key (does it hold a job?), its record read.
    access: {
      table: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
      indexes: [JOBS_TABLE.ownerIndex.name],
      workspaces: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
    },
  },
  {
    name: 'list-members',
    method: 'GET',
    path: '/api/workspaces/{wid}/members',
    entry: entry('list-members'),
    summary: "A workspace's members and their roles",
    access: { table: [], workspaces: ['dynamodb:GetItem', 'dynamodb:Query'] },
  },
  {
    name: 'put-member',
    method: 'PUT',
    path: '/api/workspaces/{wid}/members/{principalId}',
    entry: entry('put-member'),
    summary: "Add a member or change their role (admins and owners; owners for owners)",
    // PutItem: the membership; UpdateItem: the owner count.
    access: { table: [], workspaces: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
  },
  {
    name: 'remove-member',
    method: 'DELETE',
    path: '/api/workspaces/{wid}/members/{principalId}',
    entry: entry('remove-member'),
    summary: 'Remove a member (or leave); never the last owner',
    access: { table: [], workspaces: ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'] },
  },
  {
    name: 'workspace-create-job',
    method: 'POST',
    path: JOBS,
    entry: entry('workspace-create-job'),
    summary: 'Create a job in the workspace (members, admins, owners)',
    // As create-job, plus the caller's membership.
    access: {
      table: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      indexes: [JOBS_TABLE.activeIndex.name, JOBS_TABLE.reuseIndex.name],
      payloads: { inputs: ['s3:PutObject'], uploads: ['s3:GetObject'], results: ['s3:GetObject', 's3:PutObject'] },
      queueSend: true,
      workspaces: ['dynamodb:GetItem'],
    },
  },
  {
    name: 'workspace-list-jobs',
    method: 'GET',
    path: JOBS,
    entry: entry('workspace-list-jobs'),
    summary: "The workspace's jobs, newest first, or by last update",
    access: {
      table: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
      indexes: [JOBS_TABLE.ownerIndex.name, JOBS_TABLE.ownerUpdatedIndex.name],
      cursorSecret: true,
      workspaces: ['dynamodb:GetItem'],
    },
  },
  {
    name: 'workspace-get-job',
    method: 'GET',
    path: `${JOBS}/{id}`,
    entry: entry('workspace-get-job'),
    summary: "A workspace job's record",
    access: { table: ['dynamodb:GetItem'], payloads: { results: ['s3:GetObject'] }, workspaces: ['dynamodb:GetItem'] },
  },
  {
    name: 'workspace-get-job-status',
    method: 'GET',
    path: `${JOBS}/{id}/status`,
    entry: entry('workspace-get-job-status'),
    summary: "A workspace job's { id, status, progress, updatedAt }",
    access: { table: ['dynamodb:GetItem'], workspaces: ['dynamodb:GetItem'] },
  },
  {
    name: 'workspace-get-job-result',
    method: 'GET',
    path: `${JOBS}/{id}/result`,
    entry: entry('workspace-get-job-result'),
    summary: "A completed workspace job's result",
    access: { table: ['dynamodb:GetItem'], payloads: { results: ['s3:GetObject'] }, workspaces: ['dynamodb:GetItem'] },
  },
  {
    name: 'workspace-cancel-job',
    method: 'POST',
    path: `${JOBS}/{id}/cancel`,
    entry: entry('workspace-cancel-job'),
    summary: 'Cancel a workspace job (members their own; admins and owners any)',
    access: { table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], workspaces: ['dynamodb:GetItem'] },
  },
  {
    name: 'workspace-retry-job',
    method: 'POST',
    path: `${JOBS}/{id}/retry`,
    entry: entry('workspace-retry-job'),
    summary: 'Retry a workspace job (members their own; admins and owners any)',
    access: {
      table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      indexes: [JOBS_TABLE.activeIndex.name],
      queueSend: true,
      workspaces: ['dynamodb:GetItem'],
    },
  },
] as const satisfies readonly RouteDefinition[];

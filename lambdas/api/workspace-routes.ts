/**
 * The routes of issue 11's workspaces, part of the route table (routes.ts): `GET /api/me`, the
 * workspaces and their members. The job routes under `/api/workspaces/{wid}/jobs` are made from
 * the personal ones in routes.ts (`inWorkspace`).
 */
import { JOBS_TABLE } from '../shared/resources.ts';
import type { RouteDefinition } from './routes.ts';

const entry = (name: string) => `lambdas/api/handlers/workspaces/${name}.ts`;

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
    summary: 'Rename a workspace (owners), raise its jobShards (admins and owners)',
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
] as const satisfies readonly RouteDefinition[];

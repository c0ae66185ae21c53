/** What the workspace routes share at the HTTP edge: path parameters and the access check's wiring. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { workspaceOwnerKey, type Membership, type WorkspaceAction } from '../domain/workspace.ts';
import type { ApiResponse } from '../http/responses.ts';
import type { Env } from '../shared/config.ts';
import type { ApiRequest, RouteLogic } from './http-adapter.ts';
import { workspaceReaderFrom } from '../shared/wiring.ts';
import { WorkspaceAccess } from '../use-cases/workspaces.ts';

/** The `{wid}` path parameter as sent (the access check refuses what is not a workspace id: 403). */
export function workspaceIdParameter(event: APIGatewayProxyEvent): string {
  return event.pathParameters?.wid ?? '';
}

/** The `{principalId}` path parameter, decoded (the use case checks its shape: 422). */
export function principalIdParameter(event: APIGatewayProxyEvent): string {
  const raw = event.pathParameters?.principalId ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The membership check of a workspace route's function: GetItem on the workspaces table only. */
export function workspaceAccessFrom(env: Env): WorkspaceAccess {
  return new WorkspaceAccess(workspaceReaderFrom(env));
}

/** A workspace job route's function: the membership check and the personal route's use case. */
export interface InWorkspace<UseCase> {
  readonly access: WorkspaceAccess;
  readonly jobs: UseCase;
}

/** The workspace job route's request after the check: the caller's membership, the workspace's owner key. */
export type WorkspaceRouteLogic<UseCase> = (
  request: ApiRequest,
  jobs: UseCase,
  workspace: { readonly membership: Membership; readonly ownerKey: string },
) => Promise<ApiResponse>;

/**
 * A route's logic run in the workspace of the path: 403 unless the caller's role allows `action`
 * (one strongly consistent read), then the logic with the workspace's owner key, under which its
 * jobs, cursors, quota and idempotency keys are kept.
 */
export function inWorkspace<UseCase>(action: WorkspaceAction, logic: WorkspaceRouteLogic<UseCase>): RouteLogic<InWorkspace<UseCase>> {
  return async (request, { access, jobs }) => {
    const membership = await access.require(workspaceIdParameter(request.event), request.ownerId, action);
    return logic(request, jobs, { membership, ownerKey: workspaceOwnerKey(membership.workspaceId) });
  };
}

/** A personal route's logic, unchanged, on the workspace's jobs (reads: get, status, result, list). */
export function asWorkspace<UseCase>(logic: RouteLogic<UseCase>): WorkspaceRouteLogic<UseCase> {
  return (request, jobs, { ownerKey }) => logic({ ...request, ownerId: ownerKey }, jobs);
}

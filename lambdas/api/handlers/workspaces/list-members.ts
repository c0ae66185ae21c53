import { workspaceStoreFrom } from '../../../shared/wiring.ts';
import { ManageWorkspaces } from '../../../use-cases/workspaces.ts';
import type { RouteLogic } from '../../http-adapter.ts';
import { workspaceIdParameter } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** GET /api/workspaces/{wid}/members → { items }: every member with their role (any member may read it). */
export const listMembers: RouteLogic<ManageWorkspaces> = async (request, workspaces) => ({
  status: 200,
  body: { items: await workspaces.members(request.ownerId, workspaceIdParameter(request.event)) },
});

export function wire({ env }: RouteWiring): ManageWorkspaces {
  return new ManageWorkspaces({ workspaces: workspaceStoreFrom(env) });
}

export const handler = await routeHandler('list-members', listMembers, wire);

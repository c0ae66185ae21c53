import { workspaceStoreFrom } from '../../../shared/wiring.ts';
import { ManageWorkspaces } from '../../../use-cases/workspaces.ts';
import type { RouteLogic } from '../../http-adapter.ts';
import { workspaceIdParameter } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** GET /api/workspaces/{wid} → the workspace with the caller's role; 403 for a non-member. */
export const getWorkspace: RouteLogic<ManageWorkspaces> = async (request, workspaces) => ({
  status: 200,
  body: await workspaces.get(request.ownerId, workspaceIdParameter(request.event)),
});

export function wire({ env }: RouteWiring): ManageWorkspaces {
  return new ManageWorkspaces({ workspaces: workspaceStoreFrom(env) });
}

export const handler = await routeHandler('get-workspace', getWorkspace, wire);

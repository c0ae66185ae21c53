import { jsonBody } from '../../../http/request.ts';
import { workspaceStoreFrom } from '../../../shared/wiring.ts';
import { ManageWorkspaces } from '../../../use-cases/workspaces.ts';
import type { RouteLogic } from '../../http-adapter.ts';
import { workspaceIdParameter } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** PATCH /api/workspaces/{wid} { name?, jobShards? } → the workspace (renaming: owners; raising jobShards: admins and owners). */
export const updateWorkspace: RouteLogic<ManageWorkspaces> = async (request, workspaces) => ({
  status: 200,
  body: await workspaces.update(request.ownerId, workspaceIdParameter(request.event), jsonBody(request.event)),
});

export function wire({ env }: RouteWiring): ManageWorkspaces {
  return new ManageWorkspaces({ workspaces: workspaceStoreFrom(env) });
}

export const handler = await routeHandler('update-workspace', updateWorkspace, wire);

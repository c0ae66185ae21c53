import { jobStoreFrom, workspaceStoreFrom } from '../../../shared/wiring.ts';
import { ManageWorkspaces } from '../../../use-cases/workspaces.ts';
import type { RouteLogic } from '../../http-adapter.ts';
import { workspaceIdParameter } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** DELETE /api/workspaces/{wid} → 200 once deleted (owners only); 409 WORKSPACE_NOT_EMPTY while it holds jobs. */
export const deleteWorkspace: RouteLogic<ManageWorkspaces> = async (request, workspaces) => {
  const id = workspaceIdParameter(request.event);
  await workspaces.delete(request.ownerId, id);
  return { status: 200, body: { id: id.toLowerCase(), deleted: true } };
};

export function wire({ env }: RouteWiring): ManageWorkspaces {
  return new ManageWorkspaces({ workspaces: workspaceStoreFrom(env), jobs: jobStoreFrom(env) });
}

export const handler = await routeHandler('delete-workspace', deleteWorkspace, wire);

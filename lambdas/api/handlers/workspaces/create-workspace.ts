import { jsonBody } from '../../../http/request.ts';
import { workspaceStoreFrom } from '../../../shared/wiring.ts';
import { ManageWorkspaces } from '../../../use-cases/workspaces.ts';
import { basePath, type RouteLogic } from '../../http-adapter.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** POST /api/workspaces { name } → 201 with the workspace (role `owner`) and its Location. */
export const createWorkspace: RouteLogic<ManageWorkspaces> = async (request, workspaces) => {
  const workspace = await workspaces.create(request.ownerId, jsonBody(request.event));
  return { status: 201, body: workspace, headers: { Location: `${basePath(request.event)}/api/workspaces/${workspace.id}` } };
};

export function wire({ env }: RouteWiring): ManageWorkspaces {
  return new ManageWorkspaces({ workspaces: workspaceStoreFrom(env) });
}

export const handler = await routeHandler('create-workspace', createWorkspace, wire);

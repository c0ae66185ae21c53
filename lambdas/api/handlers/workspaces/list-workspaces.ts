import { queryParameters } from '../../../http/request.ts';
import { workspaceStoreFrom } from '../../../shared/wiring.ts';
import { ManageWorkspaces } from '../../../use-cases/workspaces.ts';
import type { RouteLogic } from '../../http-adapter.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** GET /api/workspaces → { items }: the caller's workspaces with their role, by name. */
export const listWorkspaces: RouteLogic<ManageWorkspaces> = async (request, workspaces) => {
  queryParameters(request.event, []);
  return { status: 200, body: { items: await workspaces.list(request.ownerId) } };
};

export function wire({ env }: RouteWiring): ManageWorkspaces {
  return new ManageWorkspaces({ workspaces: workspaceStoreFrom(env) });
}

export const handler = await routeHandler('list-workspaces', listWorkspaces, wire);

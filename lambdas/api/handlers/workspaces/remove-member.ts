import { workspaceStoreFrom } from '../../../shared/wiring.ts';
import { ManageWorkspaces } from '../../../use-cases/workspaces.ts';
import type { RouteLogic } from '../../http-adapter.ts';
import { principalIdParameter, workspaceIdParameter } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** DELETE /api/workspaces/{wid}/members/{principalId} → 200; the removed member is refused from the next request on. */
export const removeMember: RouteLogic<ManageWorkspaces> = async (request, workspaces) => {
  const { event } = request;
  const principalId = principalIdParameter(event);
  await workspaces.removeMember(request.ownerId, workspaceIdParameter(event), principalId);
  return { status: 200, body: { principalId, removed: true } };
};

export function wire({ env }: RouteWiring): ManageWorkspaces {
  return new ManageWorkspaces({ workspaces: workspaceStoreFrom(env) });
}

export const handler = await routeHandler('remove-member', removeMember, wire);

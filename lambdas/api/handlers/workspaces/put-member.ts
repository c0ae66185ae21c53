import { jsonBody } from '../../../http/request.ts';
import { workspaceStoreFrom } from '../../../shared/wiring.ts';
import { ManageWorkspaces } from '../../../use-cases/workspaces.ts';
import type { RouteLogic } from '../../http-adapter.ts';
import { principalIdParameter, workspaceIdParameter } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** PUT /api/workspaces/{wid}/members/{principalId} { role } → 201 when added, 200 when changed (or unchanged). */
export const putMember: RouteLogic<ManageWorkspaces> = async (request, workspaces) => {
  const { event } = request;
  const { member, created } = await workspaces.putMember(request.ownerId, workspaceIdParameter(event), principalIdParameter(event), jsonBody(event));
  return { status: created ? 201 : 200, body: member };
};

export function wire({ env }: RouteWiring): ManageWorkspaces {
  return new ManageWorkspaces({ workspaces: workspaceStoreFrom(env) });
}

export const handler = await routeHandler('put-member', putMember, wire);

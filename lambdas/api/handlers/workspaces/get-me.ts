import type { RouteLogic } from '../../http-adapter.ts';
import { routeHandler } from '../../wiring.ts';

/**
 * GET /api/me → { principalId, kind }: the id a teammate adds to a workspace, and whether the
 * caller is a person (`user`) or a machine client (`client`), as the adapter's principal says.
 * No AWS call.
 */
export const getMe: RouteLogic<null> = async (request) => ({
  status: 200,
  body: { principalId: request.principal.id, kind: request.principal.kind },
});

export const handler = await routeHandler('get-me', getMe, () => null);

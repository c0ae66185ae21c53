import type { RouteLogic } from '../../http-adapter.ts';
import { principalKind } from '../../principal.ts';
import { routeHandler } from '../../wiring.ts';

/** GET /api/me → { principalId, kind }: the id a teammate adds to a workspace. No AWS call. */
export const getMe: RouteLogic<null> = async (request) => ({
  status: 200,
  body: { principalId: request.ownerId, kind: principalKind(request.event) },
});

export const handler = await routeHandler('get-me', getMe, () => null);

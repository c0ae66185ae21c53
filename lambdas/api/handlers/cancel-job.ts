import { toView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { routeHandler, type RouteLogic } from '../route-handler.ts';

/** POST /api/jobs/{id}/cancel → 200 with the CANCELLED job; 409 once finished. */
export const cancelJob: RouteLogic = async (request, service) => ({
  status: 200,
  body: toView(await service.cancel(request.ownerId, jobIdParameter(request.event))),
});

export const handler = await routeHandler('cancel-job', cancelJob);

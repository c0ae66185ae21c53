import { toView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { basePath, routeHandler, type RouteLogic } from '../route-handler.ts';

/** POST /api/jobs/{id}/retry → 202 with the PENDING job; 409 unless FAILED or CANCELLED. */
export const retryJob: RouteLogic = async (request, service) => {
  const job = await service.retry(request.ownerId, jobIdParameter(request.event));
  return {
    status: 202,
    body: toView(job),
    headers: { Location: `${basePath(request.event)}/api/jobs/${job.id}`, 'Retry-After': '3' },
  };
};

export const handler = await routeHandler('retry-job', retryJob);

import { toView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { routeHandler, type RouteLogic } from '../route-handler.ts';

/** GET /api/jobs/{id} → the job record; 404 for a missing job or another user's. */
export const getJob: RouteLogic = async (request, service) => ({
  status: 200,
  body: toView(await service.get(request.ownerId, jobIdParameter(request.event))),
});

// Reads or writes payloads: this function carries the S3 client (loaded on first use).
export const handler = await routeHandler('get-job', getJob, { payloads: lazyPayloadStore });

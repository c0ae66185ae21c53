import { jobIdParameter } from '../../http/request.ts';
import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { routeHandler, type RouteLogic } from '../route-handler.ts';

/** GET /api/jobs/{id}/result → { id, status, result } once COMPLETED, else 409 naming the status. */
export const getJobResult: RouteLogic = async (request, service) => ({
  status: 200,
  body: await service.result(request.ownerId, jobIdParameter(request.event)),
});

// Reads or writes payloads: this function carries the S3 client (loaded on first use).
export const handler = await routeHandler('get-job-result', getJobResult, { payloads: lazyPayloadStore });

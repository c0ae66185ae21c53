import { toView } from '../../domain/job.ts';
import { jsonBody } from '../../http/request.ts';
import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { basePath, routeHandler, type RouteLogic } from '../route-handler.ts';

/** POST /api/jobs → 202 with the PENDING job, Location and Retry-After. */
export const createJob: RouteLogic = async (request, service) => {
  const job = await service.create(request.ownerId, jsonBody(request.event));
  return {
    status: 202,
    body: toView(job),
    headers: { Location: `${basePath(request.event)}/api/jobs/${job.id}`, 'Retry-After': '3' },
  };
};

// Reads or writes payloads: this function carries the S3 client (loaded on first use).
export const handler = await routeHandler('create-job', createJob, { payloads: lazyPayloadStore });

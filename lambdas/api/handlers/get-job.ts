import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { toView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { requireEnv } from '../../shared/config.ts';
import { ENV } from '../../shared/resources.ts';
import { jobStoreFrom } from '../../shared/wiring.ts';
import { ReadJob } from '../../use-cases/read-job.ts';
import type { RouteLogic } from '../http-adapter.ts';
import { routeHandler, type RouteWiring } from '../wiring.ts';

/** GET /api/jobs/{id} → the job record; 404 for a missing job or another user's. */
export const getJob: RouteLogic<ReadJob> = async (request, jobs) => ({
  status: 200,
  body: toView(await jobs.get(request.ownerId, jobIdParameter(request.event))),
});

/**
 * The function's one wiring point: its use case, with the adapters its IAM policy allows. A
 * COMPLETED job's result over the inline limit is read from the bucket: the S3 client is loaded on
 * first use.
 */
export function wire({ env }: RouteWiring): ReadJob {
  return new ReadJob({ store: jobStoreFrom(env), payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)) });
}

export const handler = await routeHandler('get-job', getJob, wire);

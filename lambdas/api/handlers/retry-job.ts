import { jobIdParameter } from '../../http/request.ts';
import { jobQueueFrom } from '../../shared/queue-wiring.ts';
import { jobStoreFrom } from '../../shared/wiring.ts';
import { RetryJob } from '../../use-cases/retry-job.ts';
import { acceptedJob, type RouteLogic } from '../http-adapter.ts';
import { routeHandler, type RouteWiring } from '../wiring.ts';

/** POST /api/jobs/{id}/retry → 202 with the PENDING job; 409 unless FAILED or CANCELLED. */
export const retryJob: RouteLogic<RetryJob> = async (request, jobs) =>
  acceptedJob(request.event, await jobs.retry(request.ownerId, jobIdParameter(request.event)));

/** The function's one wiring point: its use case, with the adapters its IAM policy allows. */
export function wire({ env, logger }: RouteWiring): RetryJob {
  return new RetryJob({ store: jobStoreFrom(env), queue: jobQueueFrom(env), logger });
}

export const handler = await routeHandler('retry-job', retryJob, wire);

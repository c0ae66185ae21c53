import { idempotencyKey as idempotencyKeyHeader, jobIdParameter } from '../../http/request.ts';
import { quotaSettings } from '../../shared/config.ts';
import { jobMetricsFrom } from '../../shared/metrics-wiring.ts';
import { jobQueueFrom } from '../../shared/queue-wiring.ts';
import { jobStoreFrom } from '../../shared/wiring.ts';
import { RetryJob } from '../../use-cases/retry-job.ts';
import { jobOutcome, type RouteLogic } from '../http-adapter.ts';
import type { RouteWiring } from '../wiring.ts';

/**
 * POST /api/jobs/{id}/retry → 202 with the PENDING job; 409 unless FAILED or CANCELLED; 200
 * (Idempotent-Replayed) for a repeat of an earlier retry with the same Idempotency-Key.
 */
export const retryJob: RouteLogic<RetryJob> = async (request, jobs) => {
  const idempotencyKey = idempotencyKeyHeader(request.event);
  return jobOutcome(request.event, await jobs.retryWith(request.ownerId, jobIdParameter(request.event), { idempotencyKey }));
};

/** The function's one wiring point: its use case, with the adapters its IAM policy allows. */
export function wire(wiring: RouteWiring): RetryJob {
  const { env, logger } = wiring;
  return new RetryJob({ store: jobStoreFrom(env), queue: jobQueueFrom(env), quota: quotaSettings(env), logger, metrics: jobMetricsFrom(wiring) });
}

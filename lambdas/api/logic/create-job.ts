import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { idempotencyKey as idempotencyKeyHeader, jsonBody } from '../../http/request.ts';
import { jobTypeCatalog } from '../../job-types/definitions.ts';
import { lifecycleSettings, quotaSettings, requireEnv } from '../../shared/config.ts';
import { ENV } from '../../shared/resources.ts';
import { jobMetricsFrom } from '../../shared/metrics-wiring.ts';
import { jobQueueFrom } from '../../shared/queue-wiring.ts';
import { jobStoreFrom } from '../../shared/wiring.ts';
import { CreateJob } from '../../use-cases/create-job.ts';
import { jobOutcome, type RouteLogic } from '../http-adapter.ts';
import type { RouteWiring } from '../wiring.ts';

/**
 * POST /api/jobs → 202 with the PENDING job, Location and Retry-After; 201 with a reused result;
 * 200 (Idempotent-Replayed) for a repeat of an earlier request with the same Idempotency-Key.
 */
export const createJob: RouteLogic<CreateJob> = async (request, jobs) => {
  const idempotencyKey = idempotencyKeyHeader(request.event);
  return jobOutcome(request.event, await jobs.createWith(request.ownerId, jsonBody(request.event), { idempotencyKey, requestId: request.requestId }));
};

/**
 * The function's one wiring point: its use case, with the adapters its IAM policy allows. The only
 * function that loads the job type definitions (and zod); large inputs and uploaded documents are
 * written to the bucket (and reused results copied in it), the S3 client loaded on first use.
 */
export function wire(wiring: RouteWiring): CreateJob {
  const { env, logger } = wiring;
  return new CreateJob({
    store: jobStoreFrom(env),
    types: jobTypeCatalog,
    queue: jobQueueFrom(env),
    payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)),
    settings: lifecycleSettings(env),
    quota: quotaSettings(env),
    logger,
    metrics: jobMetricsFrom(wiring),
  });
}

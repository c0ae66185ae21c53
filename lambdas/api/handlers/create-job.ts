import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { jsonBody } from '../../http/request.ts';
import { jobTypeCatalog } from '../../job-types/definitions.ts';
import { lifecycleSettings, requireEnv } from '../../shared/config.ts';
import { ENV } from '../../shared/resources.ts';
import { jobQueueFrom } from '../../shared/queue-wiring.ts';
import { jobStoreFrom } from '../../shared/wiring.ts';
import { CreateJob } from '../../use-cases/create-job.ts';
import { acceptedJob, type RouteLogic } from '../http-adapter.ts';
import { routeHandler, type RouteWiring } from '../wiring.ts';

/** POST /api/jobs → 202 with the PENDING job, Location and Retry-After. */
export const createJob: RouteLogic<CreateJob> = async (request, jobs) =>
  acceptedJob(request.event, await jobs.create(request.ownerId, jsonBody(request.event)));

/**
 * The function's one wiring point: its use case, with the adapters its IAM policy allows. The only
 * function that loads the job type definitions (and zod); large inputs and uploaded documents are
 * written to the bucket, the S3 client loaded on first use.
 */
export function wire({ env, logger }: RouteWiring): CreateJob {
  return new CreateJob({
    store: jobStoreFrom(env),
    types: jobTypeCatalog,
    queue: jobQueueFrom(env),
    payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)),
    settings: lifecycleSettings(env),
    logger,
  });
}

export const handler = await routeHandler('create-job', createJob, wire);

import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { jobIdParameter } from '../../http/request.ts';
import { requireEnv } from '../../shared/config.ts';
import { ENV } from '../../shared/resources.ts';
import { jobReaderFrom } from '../../shared/wiring.ts';
import { ReadJob } from '../../use-cases/read-job.ts';
import type { RouteLogic } from '../http-adapter.ts';
import { workspaceAccessFrom } from '../workspace-http.ts';
import type { RouteWiring } from '../wiring.ts';

/**
 * GET /api/jobs/{id}/result → { id, status, result } once COMPLETED, else 409 naming the status:
 * of the caller's own job, or one of a workspace they are a member of; 404 for any other.
 */
export const getJobResult: RouteLogic<ReadJob> = async (request, jobs) => ({
  status: 200,
  body: await jobs.result(request.ownerId, jobIdParameter(request.event)),
});

/**
 * The function's one wiring point: its use case, with the adapters its IAM policy allows. A result
 * over the inline limit is read from the bucket: the S3 client is loaded on first use.
 */
export function wire({ env }: RouteWiring): ReadJob {
  return new ReadJob({
    store: jobReaderFrom(env),
    payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)),
    access: workspaceAccessFrom(env),
  });
}

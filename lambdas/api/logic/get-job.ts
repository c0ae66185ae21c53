import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { toView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { requireEnv } from '../../shared/config.ts';
import { ENV } from '../../shared/resources.ts';
import { jobReaderFrom } from '../../shared/wiring.ts';
import { ReadJob } from '../../use-cases/read-job.ts';
import { pollHeaders, type RouteLogic } from '../http-adapter.ts';
import { workspaceAccessFrom } from '../workspace-http.ts';
import type { RouteWiring } from '../wiring.ts';

/**
 * GET /api/jobs/{id} → the job record, with Retry-After while it is unfinished (and an ETag: 304
 * for If-None-Match with it): the caller's own job, or one of a workspace they are a member of
 * (a frontend may know only the id); 404 for a missing job or any other.
 */
export const getJob: RouteLogic<ReadJob> = async (request, jobs) => {
  const job = await jobs.get(request.ownerId, jobIdParameter(request.event));
  return { status: 200, body: toView(job), headers: pollHeaders(job) };
};

/**
 * The function's one wiring point: its use case, with the adapters its IAM policy allows. A
 * COMPLETED job's result over the inline limit is read from the bucket: the S3 client is loaded on
 * first use. A workspace job is readable by every member of its workspace (one strongly consistent read).
 */
export function wire({ env }: RouteWiring): ReadJob {
  return new ReadJob({ store: jobReaderFrom(env), payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)), access: workspaceAccessFrom(env) });
}

import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { toView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { requireEnv } from '../../shared/config.ts';
import { ENV } from '../../shared/resources.ts';
import { jobReaderFrom, workspaceReaderFrom } from '../../shared/wiring.ts';
import { ReadJob } from '../../use-cases/read-job.ts';
import { WorkspaceAccess } from '../../use-cases/workspaces.ts';
import { pollHeaders, type RouteLogic } from '../http-adapter.ts';
import { routeHandler, type RouteWiring } from '../wiring.ts';

interface ReadAnyJob {
  readonly jobs: ReadJob;
  /** A workspace job is readable by every member of its workspace (one strongly consistent read). */
  readonly access: WorkspaceAccess;
}

/**
 * GET /api/jobs/{id} → the job record, with Retry-After while it is unfinished (and an ETag: 304
 * for If-None-Match with it): the caller's own job, or one of a workspace they are a member of
 * (a frontend may know only the id); 404 for a missing job or any other.
 */
export const getJob: RouteLogic<ReadAnyJob> = async (request, { jobs, access }) => {
  const job = await jobs.getReadable(jobIdParameter(request.event), (found) => access.canRead(found, request.ownerId));
  return { status: 200, body: toView(job), headers: pollHeaders(job) };
};

/**
 * The function's one wiring point: its use case, with the adapters its IAM policy allows. A
 * COMPLETED job's result over the inline limit is read from the bucket: the S3 client is loaded on
 * first use.
 */
export function wire({ env }: RouteWiring): ReadAnyJob {
  return {
    jobs: new ReadJob({ store: jobReaderFrom(env), payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)) }),
    access: new WorkspaceAccess(workspaceReaderFrom(env)),
  };
}

export const handler = await routeHandler('get-job', getJob, wire);

import { toStatusView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { jobReaderFrom } from '../../shared/wiring.ts';
import { ReadJobStatus } from '../../use-cases/read-job-status.ts';
import { pollHeaders, type RouteLogic } from '../http-adapter.ts';
import { workspaceAccessFrom } from '../workspace-http.ts';
import type { RouteWiring } from '../wiring.ts';

/**
 * GET /api/jobs/{id}/status → `{ id, status, progress, updatedAt }`, with Retry-After while the
 * job is unfinished and an ETag (304 for If-None-Match with it): the caller's own job, or one of a
 * workspace they are a member of; 404 for a missing job or any other.
 */
export const getJobStatus: RouteLogic<ReadJobStatus> = async (request, jobs) => {
  const job = await jobs.status(request.ownerId, jobIdParameter(request.event));
  return { status: 200, body: toStatusView(job), headers: pollHeaders(job) };
};

/** The function's one wiring point: the jobs table and the caller's membership of a workspace job's workspace, read with GetItem, and nothing else. */
export function wire({ env }: RouteWiring): ReadJobStatus {
  return new ReadJobStatus({ store: jobReaderFrom(env), access: workspaceAccessFrom(env) });
}

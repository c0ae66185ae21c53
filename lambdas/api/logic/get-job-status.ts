import { toStatusView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { jobStoreFrom } from '../../shared/wiring.ts';
import { ReadJobStatus } from '../../use-cases/read-job-status.ts';
import { pollHeaders, type RouteLogic } from '../http-adapter.ts';
import type { RouteWiring } from '../wiring.ts';

/**
 * GET /api/jobs/{id}/status → `{ id, status, progress, updatedAt }`, with Retry-After while the
 * job is unfinished and an ETag (304 for If-None-Match with it); 404 for a missing job or another
 * user's.
 */
export const getJobStatus: RouteLogic<ReadJobStatus> = async (request, jobs) => {
  const job = await jobs.status(request.ownerId, jobIdParameter(request.event));
  return { status: 200, body: toStatusView(job), headers: pollHeaders(job) };
};

/** The function's one wiring point: the table, read with GetItem, and nothing else. */
export function wire({ env }: RouteWiring): ReadJobStatus {
  return new ReadJobStatus({ store: jobStoreFrom(env) });
}

import { idempotencyKey as idempotencyKeyHeader, jsonBody } from '../../../http/request.ts';
import type { CreateJob } from '../../../use-cases/create-job.ts';
import { jobOutcome } from '../../http-adapter.ts';
import { inWorkspace, workspaceAccessFrom } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';
import { wire as wireCreateJob } from '../../logic/create-job.ts';

/**
 * POST /api/workspaces/{wid}/jobs → as POST /api/jobs, the job in the workspace (its quota, its
 * idempotency keys, its jobs as sources), created by the caller; viewers 403.
 */
export const workspaceCreateJob = inWorkspace<CreateJob>('createJob', async (request, jobs, { membership, ownerKey }) => {
  const idempotencyKey = idempotencyKeyHeader(request.event);
  const origin = { createdBy: request.ownerId, workspaceId: membership.workspaceId };
  return jobOutcome(request.event, await jobs.createWith(ownerKey, jsonBody(request.event), { idempotencyKey, origin, requestId: request.requestId }));
});

export function wire(wiring: RouteWiring) {
  return { access: workspaceAccessFrom(wiring.env), jobs: wireCreateJob(wiring) };
}

export const handler = await routeHandler('workspace-create-job', workspaceCreateJob, wire);

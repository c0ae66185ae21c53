import { idempotencyKey as idempotencyKeyHeader, jobIdParameter } from '../../../http/request.ts';
import type { RetryJob } from '../../../use-cases/retry-job.ts';
import { checkJobAction } from '../../../use-cases/workspaces.ts';
import { jobOutcome } from '../../http-adapter.ts';
import { inWorkspace, workspaceAccessFrom } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';
import { wire as wireRetry } from '../../logic/retry-job.ts';

/**
 * POST /api/workspaces/{wid}/jobs/{id}/retry → as the personal retry (the workspace's quota and
 * idempotency keys); members their own jobs, admins and owners any; viewers 403.
 */
export const workspaceRetryJob = inWorkspace<RetryJob>('actOnOwnJob', async (request, jobs, { membership, ownerKey }) => {
  const idempotencyKey = idempotencyKeyHeader(request.event);
  const check = (found: Parameters<typeof checkJobAction>[1]) => checkJobAction(membership, found);
  return jobOutcome(request.event, await jobs.retryWith(ownerKey, jobIdParameter(request.event), { idempotencyKey, check }));
});

export function wire(wiring: RouteWiring) {
  return { access: workspaceAccessFrom(wiring.env), jobs: wireRetry(wiring) };
}

export const handler = await routeHandler('workspace-retry-job', workspaceRetryJob, wire);

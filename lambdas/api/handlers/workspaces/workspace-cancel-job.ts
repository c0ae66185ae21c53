import { toView } from '../../../domain/job.ts';
import { jobIdParameter } from '../../../http/request.ts';
import type { CancelJob } from '../../../use-cases/cancel-job.ts';
import { checkJobAction } from '../../../use-cases/workspaces.ts';
import { inWorkspace, workspaceAccessFrom } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';
import { wire as wireCancel } from '../../logic/cancel-job.ts';

/** POST /api/workspaces/{wid}/jobs/{id}/cancel → as the personal cancel; members their own jobs, admins and owners any; viewers 403. */
export const workspaceCancelJob = inWorkspace<CancelJob>('actOnOwnJob', async (request, jobs, { membership, ownerKey }) => {
  const job = await jobs.cancel(ownerKey, jobIdParameter(request.event), (found) => checkJobAction(membership, found));
  return { status: 200, body: toView(job) };
});

export function wire(wiring: RouteWiring) {
  return { access: workspaceAccessFrom(wiring.env), jobs: wireCancel(wiring) };
}

export const handler = await routeHandler('workspace-cancel-job', workspaceCancelJob, wire);

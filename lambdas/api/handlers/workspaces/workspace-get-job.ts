import type { ReadJob } from '../../../use-cases/read-job.ts';
import { getJob, wire as wireGetJob } from '../../logic/get-job.ts';
import { asWorkspace, inWorkspace, workspaceAccessFrom } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** GET /api/workspaces/{wid}/jobs/{id} → as GET /api/jobs/{id}; a job of another workspace is 404. */
export const workspaceGetJob = inWorkspace<ReadJob>('read', asWorkspace(getJob));

export function wire(wiring: RouteWiring) {
  return { access: workspaceAccessFrom(wiring.env), jobs: wireGetJob(wiring) };
}

export const handler = await routeHandler('workspace-get-job', workspaceGetJob, wire);

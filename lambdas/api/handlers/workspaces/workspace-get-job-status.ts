import type { ReadJobStatus } from '../../../use-cases/read-job-status.ts';
import { asWorkspace, inWorkspace, workspaceAccessFrom } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';
import { getJobStatus, wire as wireStatus } from '../../logic/get-job-status.ts';

/** GET /api/workspaces/{wid}/jobs/{id}/status → as GET /api/jobs/{id}/status. */
export const workspaceGetJobStatus = inWorkspace<ReadJobStatus>('read', asWorkspace(getJobStatus));

export function wire(wiring: RouteWiring) {
  return { access: workspaceAccessFrom(wiring.env), jobs: wireStatus(wiring) };
}

export const handler = await routeHandler('workspace-get-job-status', workspaceGetJobStatus, wire);

import type { ReadJob } from '../../../use-cases/read-job.ts';
import { asWorkspace, inWorkspace, workspaceAccessFrom } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';
import { getJobResult, wire as wireResult } from '../../logic/get-job-result.ts';

/** GET /api/workspaces/{wid}/jobs/{id}/result → as GET /api/jobs/{id}/result. */
export const workspaceGetJobResult = inWorkspace<ReadJob>('read', asWorkspace(getJobResult));

export function wire(wiring: RouteWiring) {
  return { access: workspaceAccessFrom(wiring.env), jobs: wireResult(wiring) };
}

export const handler = await routeHandler('workspace-get-job-result', workspaceGetJobResult, wire);

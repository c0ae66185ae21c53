import type { ListJobs } from '../../../use-cases/list-jobs.ts';
import { asWorkspace, inWorkspace, workspaceAccessFrom } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';
import { listJobs, wire as wireListJobs } from '../../logic/list-jobs.ts';

/** GET /api/workspaces/{wid}/jobs → as GET /api/jobs on the workspace's jobs; its cursors work in this workspace only. */
export const workspaceListJobs = inWorkspace<ListJobs>('read', asWorkspace(listJobs));

export async function wire(wiring: RouteWiring) {
  return { access: workspaceAccessFrom(wiring.env), jobs: await wireListJobs(wiring) };
}

export const handler = await routeHandler('workspace-list-jobs', workspaceListJobs, wire);

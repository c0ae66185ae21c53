import { lazyPayloadStore } from '../../../adapters/lazy-payload-store.ts';
import { toView } from '../../../domain/job.ts';
import { jobIdParameter } from '../../../http/request.ts';
import { requireEnv } from '../../../shared/config.ts';
import { ENV } from '../../../shared/resources.ts';
import { jobReaderFrom } from '../../../shared/wiring.ts';
import { ReadJob } from '../../../use-cases/read-job.ts';
import { pollHeaders } from '../../http-adapter.ts';
import { inWorkspace, workspaceAccessFrom } from '../../workspace-http.ts';
import { routeHandler, type RouteWiring } from '../../wiring.ts';

/** GET /api/workspaces/{wid}/jobs/{id} → as GET /api/jobs/{id}; a job of another workspace is 404. */
export const workspaceGetJob = inWorkspace<ReadJob>('read', async (request, jobs, { ownerKey }) => {
  const job = await jobs.get(ownerKey, jobIdParameter(request.event));
  return { status: 200, body: toView(job), headers: pollHeaders(job) };
});

export function wire({ env }: RouteWiring) {
  return {
    access: workspaceAccessFrom(env),
    jobs: new ReadJob({ store: jobReaderFrom(env), payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)) }),
  };
}

export const handler = await routeHandler('workspace-get-job', workspaceGetJob, wire);

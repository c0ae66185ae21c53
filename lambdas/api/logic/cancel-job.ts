import { toView } from '../../domain/job.ts';
import { jobIdParameter } from '../../http/request.ts';
import { jobMetricsFrom } from '../../shared/metrics-wiring.ts';
import { jobStoreFrom } from '../../shared/wiring.ts';
import { CancelJob } from '../../use-cases/cancel-job.ts';
import type { RouteLogic } from '../http-adapter.ts';
import type { RouteWiring } from '../wiring.ts';

/** POST /api/jobs/{id}/cancel → 200 with the CANCELLED job; 409 once finished. */
export const cancelJob: RouteLogic<CancelJob> = async (request, jobs) => ({
  status: 200,
  body: toView(await jobs.cancel(request.ownerId, jobIdParameter(request.event))),
});

/** The function's one wiring point: its use case, with the adapters its IAM policy allows. */
export function wire(wiring: RouteWiring): CancelJob {
  return new CancelJob({ store: jobStoreFrom(wiring.env), metrics: jobMetricsFrom(wiring) });
}

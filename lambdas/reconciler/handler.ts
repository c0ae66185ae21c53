/**
 * The reconciler, run on a schedule: re-sends PENDING jobs whose message was lost (the send
 * after a create or retry failed) and settles PROCESSING jobs whose worker vanished.
 */
import type { ReconcileReport } from '../domain/job-runner.ts';
import { workerDependencies, type WorkerDependencies } from '../worker/dependencies.ts';

export function createReconcilerHandler(deps: Pick<WorkerDependencies, 'runner'>) {
  return async (): Promise<ReconcileReport> => deps.runner.reconcile();
}

export const handler = createReconcilerHandler(workerDependencies([]));

/**
 * The reconciler, run on a schedule: re-sends PENDING jobs whose message was lost (the send
 * after a create or retry failed) and settles PROCESSING jobs whose worker vanished.
 */
import type { ReconcileReport } from '../domain/job-runner.ts';
import { workerDependencies, type WorkerDependencies } from '../worker/dependencies.ts';

/**
 * The scheduled EventBridge event carries nothing we need. An invocation with
 * `{ "recoverAll": true }` settles every unfinished job at once, as after a restart of the local
 * runtime; run it in AWS only when no worker is running (their results would be discarded).
 */
export interface ReconcilerEvent {
  readonly recoverAll?: boolean;
}

export function createReconcilerHandler(deps: Pick<WorkerDependencies, 'runner'>) {
  return async (event?: ReconcilerEvent | null): Promise<ReconcileReport> =>
    deps.runner.reconcile({ all: event?.recoverAll === true });
}

export const handler = createReconcilerHandler(workerDependencies([]));

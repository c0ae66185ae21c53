/**
 * The reconciler, run on a schedule: re-sends PENDING jobs whose message was lost (the send
 * after a create or retry failed) and settles PROCESSING jobs whose worker vanished.
 */
import type { ReconcileReport } from '../domain/job-runner.ts';
import type { Job } from '../domain/job.ts';
import { workerDependencies, type WorkerDependencies } from '../worker/dependencies.ts';

/**
 * The scheduled EventBridge event carries nothing we need. An invocation with
 * `{ "recoverAll": true }` settles every unfinished job at once, each exactly once, as after a
 * restart of the local runtime; run it in AWS only when no worker is running (their results
 * would be discarded).
 */
export interface ReconcilerEvent {
  readonly recoverAll?: boolean;
}

export function createReconcilerHandler(deps: Pick<WorkerDependencies, 'runner'>) {
  return async (event?: ReconcilerEvent | null): Promise<ReconcileReport> =>
    event?.recoverAll === true ? deps.runner.recover(await deps.runner.unfinished()) : deps.runner.reconcile();
}

/**
 * A restart's recovery in two steps, for the local runtime: read the unfinished jobs before any
 * worker of the new process runs, then settle them (each once) while the API already serves.
 */
export interface Recovery {
  snapshot(): Promise<readonly Job[]>;
  /** Settles the jobs; stops starting new ones once `signal` is aborted. */
  settle(jobs: readonly Job[], signal?: AbortSignal): Promise<ReconcileReport>;
}

export function createRecovery(deps: Pick<WorkerDependencies, 'runner'>): Recovery {
  return { snapshot: () => deps.runner.unfinished(), settle: (jobs, signal) => deps.runner.recover(jobs, signal ? { signal } : {}) };
}

const dependencies = workerDependencies([]);
export const handler = createReconcilerHandler(dependencies);
export const recovery = createRecovery(dependencies);

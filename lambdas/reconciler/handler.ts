/**
 * The reconciler, run on a schedule: re-sends PENDING jobs whose message was lost (the send
 * after a create or retry failed), sends scheduled jobs whose time is within the queue's delay,
 * and settles PROCESSING jobs whose worker vanished. This module
 * is the function's one wiring point: the table and the jobs queue (to send), nothing else.
 */
import type { Context } from 'aws-lambda';
import { PowertoolsJobMetrics } from '../adapters/powertools-metrics.ts';
import type { Job } from '../domain/job.ts';
import type { Clock, JobMetrics, Logger } from '../domain/ports.ts';
import { lifecycleSettings, type Env } from '../shared/config.ts';
import { asInvocation, invocationHooks, type InvocationHooks } from '../shared/invocation.ts';
import { FunctionLogger } from '../shared/logger.ts';
import { jobQueueFrom } from '../shared/queue-wiring.ts';
import { jobStoreFrom } from '../shared/wiring.ts';
import { ReconcileJobs, type ReconcileReport } from '../use-cases/reconcile-jobs.ts';

/**
 * The scheduled EventBridge event carries nothing we need. An invocation with
 * `{ "recoverAll": true }` settles every unfinished job at once, each exactly once, as after a
 * restart of the local runtime; run it in AWS only when no worker is running (their results
 * would be discarded).
 */
export interface ReconcilerEvent {
  readonly recoverAll?: boolean;
}

export function createReconcilerHandler(reconciler: ReconcileJobs, invocation?: InvocationHooks) {
  return async (event?: ReconcilerEvent | null, context?: Context): Promise<ReconcileReport> =>
    asInvocation(invocation, context, async () =>
      event?.recoverAll === true ? reconciler.recover(await reconciler.unfinished()) : reconciler.reconcile(),
    );
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

export function createRecovery(reconciler: ReconcileJobs, invocation?: InvocationHooks): Recovery {
  return {
    snapshot: () => reconciler.unfinished(),
    settle: (jobs, signal) => asInvocation(invocation, undefined, () => reconciler.recover(jobs, signal ? { signal } : {})),
  };
}

/** The reconciler; its logger and metrics are the function's (none recorded by default: tests). */
export function wireReconciler(
  env: Env = process.env,
  clock?: Clock,
  observability: { readonly logger?: Logger; readonly metrics?: JobMetrics } = {},
): ReconcileJobs {
  return new ReconcileJobs({
    store: jobStoreFrom(env, clock),
    queue: jobQueueFrom(env),
    lifecycle: lifecycleSettings(env),
    logger: observability.logger ?? FunctionLogger.create(),
    ...(observability.metrics ? { metrics: observability.metrics } : {}),
    ...(clock ? { clock } : {}),
  });
}

const logger = FunctionLogger.create();
const metrics = new PowertoolsJobMetrics();
const reconciler = wireReconciler(process.env, undefined, { logger, metrics });
const invocation = invocationHooks(logger, [metrics]);
export const handler = createReconcilerHandler(reconciler, invocation);
export const recovery = createRecovery(reconciler, invocation);

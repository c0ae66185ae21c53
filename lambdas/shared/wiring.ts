/** Adapters every function builds the same way from its environment. */
import { DynamoJobStore } from '../adapters/dynamo-job-store.ts';
import { SqsJobQueue } from '../adapters/sqs-job-queue.ts';
import { JOB_PRIORITIES, type JobPriority } from '../domain/job.ts';
import type { Clock } from '../domain/ports.ts';
import { lifecycleSettings, requireEnv, type Env } from './config.ts';
import { ENV, PRIORITY_BANDS } from './resources.ts';

/** The jobs table in JOBS_TABLE_NAME, with the lifecycle settings of this deployment. */
export function jobStoreFrom(env: Env, clock?: Clock): DynamoJobStore {
  return new DynamoJobStore({ tableName: requireEnv(env, ENV.tableName), lifecycle: lifecycleSettings(env), ...(clock ? { clock } : {}) });
}

/** The jobs queue of every priority band (PRIORITY_BANDS.queueUrlEnv): to send, or to defer received messages. */
export function jobQueueFrom(env: Env): SqsJobQueue {
  const queueUrls = Object.fromEntries(
    JOB_PRIORITIES.map((band) => [band, requireEnv(env, PRIORITY_BANDS.queueUrlEnv[band])]),
  ) as Record<JobPriority, string>;
  return new SqsJobQueue({ queueUrls });
}

/**
 * The jobs queues, built from the environment: only the functions that send or defer messages
 * import this module, so the others' bundles carry no SQS client (test/infra/bundle-boundary.test.ts).
 */
import { SqsJobQueue } from '../adapters/sqs-job-queue.ts';
import { JOB_PRIORITIES, type JobPriority } from '../domain/job.ts';
import { requireEnv, type Env } from './config.ts';
import { PRIORITY_BANDS } from './resources.ts';

/** The jobs queue of every priority band (PRIORITY_BANDS.queueUrlEnv): to send, or to defer received messages. */
export function jobQueueFrom(env: Env): SqsJobQueue {
  const queueUrls = Object.fromEntries(
    JOB_PRIORITIES.map((band) => [band, requireEnv(env, PRIORITY_BANDS.queueUrlEnv[band])]),
  ) as Record<JobPriority, string>;
  return new SqsJobQueue({ queueUrls });
}

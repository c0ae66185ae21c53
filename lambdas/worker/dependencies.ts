/** Builds the worker-side dependencies (store, queue, runner) from the environment. */
import { ConfigurationError } from '../domain/errors.ts';
import type { Clock, JobQueue, PayloadStore } from '../domain/ports.ts';
import { DynamoJobStore } from '../adapters/dynamo-job-store.ts';
import { SqsJobQueue } from '../adapters/sqs-job-queue.ts';
import { JobRunner } from '../domain/job-runner.ts';
import type { JobType } from '../domain/job-types.ts';
import { JobTypeCatalog } from '../domain/job-types.ts';
import { lifecycleSettings, requireEnv, retrySettings } from '../shared/config.ts';
import { JsonLogger } from '../shared/logger.ts';
import { ENV, WORKER } from '../shared/resources.ts';

type Env = Record<string, string | undefined>;

export interface WorkerDependencies {
  readonly runner: JobRunner;
  readonly queue: JobQueue;
  readonly logger: JsonLogger;
}

/** For functions that never send or defer messages (the DLQ consumer). */
const NO_QUEUE: JobQueue = {
  enqueue: () => Promise.reject(new ConfigurationError(`${ENV.queueUrl} is not configured for this function`)),
  deferMessage: () => Promise.reject(new ConfigurationError(`${ENV.queueUrl} is not configured for this function`)),
};

/** For functions that never read or write payloads (the DLQ consumer, the reconciler). */
const noPayloads = () => Promise.reject(new ConfigurationError(`${ENV.payloadBucket} is not configured for this function`));
const NO_PAYLOADS: PayloadStore = { put: noPayloads, get: noPayloads, read: noPayloads, head: noPayloads, copy: noPayloads, presignPut: noPayloads };

export function workerDependencies(
  types: readonly JobType<any>[],
  env: Env = process.env,
  options: {
    readonly queue?: boolean;
    /**
     * The payload store for the bucket in JOBS_BUCKET_NAME: given by the functions that read or
     * write payloads (the worker), so the others do not bundle the S3 client.
     */
    readonly payloads?: (bucket: string) => PayloadStore;
    readonly clock?: Clock;
  } = {},
): WorkerDependencies {
  const logger = new JsonLogger();
  const queue = options.queue !== false ? new SqsJobQueue({ queueUrl: requireEnv(env, ENV.queueUrl) }) : NO_QUEUE;
  const payloads = options.payloads ? options.payloads(requireEnv(env, ENV.payloadBucket)) : NO_PAYLOADS;
  const retry = retrySettings(env);
  const lifecycle = lifecycleSettings(env);
  const runner = new JobRunner({
    store: new DynamoJobStore({ tableName: requireEnv(env, ENV.tableName), lifecycle, ...(options.clock ? { clock: options.clock } : {}) }),
    queue,
    payloads,
    types: new JobTypeCatalog(types),
    logger,
    settings: {
      lifecycle,
      retryBaseDelaySeconds: retry.baseDelaySeconds,
      retryMaxDelaySeconds: retry.maxDelaySeconds,
      finishMarginMs: WORKER.finishMarginSeconds * 1000,
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { runner, queue, logger };
}

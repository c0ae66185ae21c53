/**
 * The worker: runs one attempt per SQS message, one message at a time, with partial batch failure reporting. This module
 * is the function's one wiring point: the job types with their model, the table, the bucket and
 * the priority bands' queues (to delay a message's next delivery in its queue), as its IAM policy allows.
 */
import type { Context, SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockModel } from '../adapters/bedrock-model.ts';
import { PowertoolsJobMetrics } from '../adapters/powertools-metrics.ts';
import { lazyPayloadStore } from '../adapters/lazy-payload-store.ts';
import { JobTypeCatalog, type JobType } from '../domain/job-types.ts';
import type { Clock, JobMetrics, Logger, ReceivedMessages } from '../domain/ports.ts';
import { createJobTypes } from '../job-types/processors.ts';
import { numberEnv, requireEnv, retrySettings, type Env } from '../shared/config.ts';
import { asInvocation, invocationHooks, type InvocationHooks } from '../shared/invocation.ts';
import { FunctionLogger } from '../shared/logger.ts';
import { ENV, WORKER } from '../shared/resources.ts';
import { processBatch } from '../shared/sqs-batch.ts';
import { jobQueueFrom } from '../shared/queue-wiring.ts';
import { attemptStoreFrom } from '../shared/wiring.ts';
import { RunAttempt } from '../use-cases/run-attempt.ts';

export interface WorkerDependencies {
  readonly attempts: RunAttempt;
  readonly messages: ReceivedMessages;
  readonly logger: Logger;
  /** Around each invocation: the logger's Lambda context, the metrics written at the end. */
  readonly invocation?: InvocationHooks;
}

export function createWorkerHandler(deps: WorkerDependencies) {
  return async (event: SQSEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> =>
    asInvocation(deps.invocation, context, () => {
      const deadline = Date.now() + context.getRemainingTimeInMillis();
      // One job at a time: an instance makes at most one model call at once, so the event sources'
      // maxConcurrency (their sum is workerMaxConcurrency) bounds the concurrent Bedrock calls. A
      // job after the first starts only with the longest budget left; the rest go back unstarted.
      const needMs = deps.attempts.longestAttemptMs();
      return processBatch(
        event.Records,
        (message) => deps.attempts.run({ id: message.jobId, generation: message.generation, requestId: message.requestId ?? null }, deadline),
        deps.messages,
        deps.logger,
        { oneAtATime: { mayStart: () => deadline - Date.now() >= needMs } },
      );
    });
}

/**
 * The worker's dependencies for these job types (their processors built with their model), its
 * metrics `metrics` (the job types' model records its calls there too), written after each invocation.
 */
export function wireWorker(types: readonly JobType<any>[], env: Env = process.env, clock?: Clock, metrics = new PowertoolsJobMetrics()): WorkerDependencies {
  const logger = FunctionLogger.create();
  const retry = retrySettings(env);
  const attempts = new RunAttempt({
    store: attemptStoreFrom(env, clock),
    payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)),
    types: new JobTypeCatalog(types),
    logger,
    metrics,
    settings: {
      retryBaseDelaySeconds: retry.baseDelaySeconds,
      retryMaxDelaySeconds: retry.maxDelaySeconds,
      finishMarginMs: WORKER.finishMarginSeconds * 1000,
    },
    ...(clock ? { clock } : {}),
  });
  return { attempts, messages: jobQueueFrom(env), logger, invocation: invocationHooks(logger, [metrics]) };
}

function bedrockJobTypes(env: Env, metrics: JobMetrics): JobType<any>[] {
  const region = env[ENV.bedrockRegion]?.trim() || undefined;
  const model = new BedrockModel({
    defaultModelId: requireEnv(env, ENV.bedrockModelId),
    client: new BedrockRuntimeClient({ region, maxAttempts: numberEnv(env, ENV.bedrockMaxAttempts, 3, 1, 10) }),
    metrics,
  });
  return createJobTypes({ model }, env);
}

const metrics = new PowertoolsJobMetrics();
export const handler = createWorkerHandler(wireWorker(bedrockJobTypes(process.env, metrics), process.env, undefined, metrics));

/** The worker: runs one attempt per SQS message, with partial batch failure reporting. */
import type { Context, SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockModel } from '../adapters/bedrock-model.ts';
import { lazyPayloadStore } from '../adapters/lazy-payload-store.ts';
import { createJobTypes } from '../job-types/processors.ts';
import { numberEnv, requireEnv } from '../shared/config.ts';
import { ENV } from '../shared/resources.ts';
import { workerDependencies, type WorkerDependencies } from './dependencies.ts';
import { processBatch } from './sqs-batch.ts';

export function createWorkerHandler(deps: Pick<WorkerDependencies, 'runner' | 'queue' | 'logger'>) {
  return async (event: SQSEvent, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> => {
    const deadline = Date.now() + context.getRemainingTimeInMillis();
    return processBatch(event.Records, (message) => deps.runner.run({ id: message.jobId, generation: message.generation }, deadline), deps.queue, deps.logger);
  };
}

function defaultDependencies(env = process.env): WorkerDependencies {
  const region = env[ENV.bedrockRegion]?.trim() || undefined;
  const model = new BedrockModel({
    defaultModelId: requireEnv(env, ENV.bedrockModelId),
    client: new BedrockRuntimeClient({ region, maxAttempts: numberEnv(env, ENV.bedrockMaxAttempts, 3, 1, 10) }),
  });
  return workerDependencies(createJobTypes({ model }), env, { payloads: lazyPayloadStore });
}

export const handler = createWorkerHandler(defaultDependencies());

/**
 * The DLQ consumer: a message lands here after WORKER.maxReceiveCount deliveries without an
 * outcome (worker crashes, timeouts). Its job is marked FAILED unless it already finished.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { workerDependencies, type WorkerDependencies } from '../worker/dependencies.ts';
import { processBatch } from '../worker/sqs-batch.ts';

export function createDlqHandler(deps: Pick<WorkerDependencies, 'runner' | 'queue' | 'logger'>) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> =>
    processBatch(
      event.Records,
      async ({ jobId, generation }) => {
        const outcome = await deps.runner.failExhausted({ id: jobId, generation });
        deps.logger.warn('dead-lettered job', { jobId, generation, detail: outcome.kind === 'done' ? outcome.detail : outcome.kind });
        return outcome;
      },
      // Failed DLQ records are simply left to come back after the DLQ's visibility timeout.
      { deferMessage: async () => {} },
      deps.logger,
    );
}

export const handler = createDlqHandler(workerDependencies([], process.env, { queue: false }));

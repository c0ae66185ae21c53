/**
 * The DLQ consumer: a message lands here after WORKER.maxReceiveCount deliveries without an
 * outcome (worker crashes, timeouts). Its job is marked FAILED unless it already finished. This
 * module is the function's one wiring point: the table, nothing else.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Clock, Logger } from '../domain/ports.ts';
import type { Env } from '../shared/config.ts';
import { JsonLogger } from '../shared/logger.ts';
import { processBatch } from '../shared/sqs-batch.ts';
import { jobStoreFrom } from '../shared/wiring.ts';
import { FailDeadLetter } from '../use-cases/fail-dead-letter.ts';

export interface DlqConsumerDependencies {
  readonly deadLetters: FailDeadLetter;
  readonly logger: Logger;
}

export function createDlqHandler(deps: DlqConsumerDependencies) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> =>
    processBatch(
      event.Records,
      async ({ jobId, generation }) => {
        const outcome = await deps.deadLetters.fail({ id: jobId, generation });
        deps.logger.warn('dead-lettered job', { jobId, generation, detail: outcome.kind === 'done' ? outcome.detail : outcome.kind });
        return outcome;
      },
      // Failed DLQ records are simply left to come back after the DLQ's visibility timeout.
      { deferMessage: async () => {} },
      deps.logger,
    );
}

export function wireDlqConsumer(env: Env = process.env, clock?: Clock): DlqConsumerDependencies {
  const logger = new JsonLogger();
  return { deadLetters: new FailDeadLetter({ store: jobStoreFrom(env, clock), logger, ...(clock ? { clock } : {}) }), logger };
}

export const handler = createDlqHandler(wireDlqConsumer());

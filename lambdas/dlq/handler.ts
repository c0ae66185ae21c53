/**
 * The DLQ consumer: a message lands here after WORKER.maxReceiveCount deliveries without an
 * outcome (worker crashes, timeouts). Its job is marked FAILED unless it already finished. This
 * module is the function's one wiring point: the table, nothing else.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { PowertoolsJobMetrics } from '../adapters/powertools-metrics.ts';
import type { Clock, Logger } from '../domain/ports.ts';
import type { Env } from '../shared/config.ts';
import { asInvocation, invocationHooks, type InvocationHooks } from '../shared/invocation.ts';
import { FunctionLogger } from '../shared/logger.ts';
import { processBatch } from '../shared/sqs-batch.ts';
import { jobStoreFrom } from '../shared/wiring.ts';
import { FailDeadLetter } from '../use-cases/fail-dead-letter.ts';

export interface DlqConsumerDependencies {
  readonly deadLetters: FailDeadLetter;
  readonly logger: Logger;
  /** Around each invocation: the logger's Lambda context, the metrics written at the end. */
  readonly invocation?: InvocationHooks;
}

export function createDlqHandler(deps: DlqConsumerDependencies) {
  return async (event: SQSEvent, context?: unknown): Promise<SQSBatchResponse> =>
    asInvocation(deps.invocation, context, () =>
      processBatch(
        event.Records,
        async ({ jobId, generation, requestId }) => {
          const outcome = await deps.deadLetters.fail({ id: jobId, generation, requestId: requestId ?? null });
          const detail = outcome.kind === 'done' ? outcome.detail : outcome.kind;
          deps.logger.warn('dead-lettered job', { jobId, ...(requestId ? { requestId } : {}), generation, detail });
          return outcome;
        },
        // Failed DLQ records are simply left to come back after the DLQ's visibility timeout.
        { deferMessage: async () => {} },
        deps.logger,
      ),
    );
}

export function wireDlqConsumer(env: Env = process.env, clock?: Clock): DlqConsumerDependencies {
  const logger = FunctionLogger.create();
  const metrics = new PowertoolsJobMetrics();
  return {
    deadLetters: new FailDeadLetter({ store: jobStoreFrom(env, clock), logger, metrics, ...(clock ? { clock } : {}) }),
    logger,
    invocation: invocationHooks(logger, [metrics]),
  };
}

export const handler = createDlqHandler(wireDlqConsumer());

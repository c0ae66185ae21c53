/**
 * Runs an SQS batch with partial batch responses: each record is handled on its own, and only
 * the ones that must come back are reported, so one bad message never replays the batch.
 */
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Logger, ReceivedMessages } from '../domain/ports.ts';
import type { RunOutcome } from '../use-cases/outcome.ts';
import { decodeJobMessage, type JobMessage } from '../shared/messages.ts';

/** Visibility given to a message whose handling hit an unexpected error (e.g. DynamoDB down). */
export const ERROR_RETRY_SECONDS = 30;

export async function processBatch(
  records: readonly SQSRecord[],
  handle: (message: JobMessage, record: SQSRecord) => Promise<RunOutcome>,
  messages: ReceivedMessages,
  logger: Logger,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchItemFailure[] = [];
  await Promise.all(
    records.map(async (record) => {
      const message = decodeJobMessage(record.body);
      if (!message) {
        // Not one of ours: there is no job to update, so keeping it would only loop.
        logger.error('discarding a message that carries no job id', { messageId: record.messageId });
        return;
      }
      const { jobId } = message;
      const ids = message.requestId ? { jobId, requestId: message.requestId } : { jobId };
      let delaySeconds: number;
      try {
        const outcome = await handle(message, record);
        if (outcome.kind === 'done') return;
        delaySeconds = outcome.delaySeconds;
      } catch (error) {
        logger.error('message handling failed; it will be delivered again', { ...ids, messageId: record.messageId, error });
        delaySeconds = ERROR_RETRY_SECONDS;
      }
      failures.push({ itemIdentifier: record.messageId });
      try {
        await messages.deferMessage(record, delaySeconds);
      } catch (error) {
        // The message still comes back, after the queue's visibility timeout instead.
        logger.warn('could not set the retry delay', { ...ids, error });
      }
    }),
  );
  return { batchItemFailures: failures };
}

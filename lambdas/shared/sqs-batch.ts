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

export interface BatchOptions {
  /**
   * Handle the records one at a time, in order, instead of all at once (the worker: one model
   * call at a time per instance). The first record always starts (as it would alone); before each
   * further one `mayStart()` is asked, and once it says no, that
   * record and the rest are reported as failures, untouched and visible again at once, for
   * another invocation with time enough (each counts one receive, never an attempt).
   */
  readonly oneAtATime?: { readonly mayStart: () => boolean };
}

export async function processBatch(
  records: readonly SQSRecord[],
  handle: (message: JobMessage, record: SQSRecord) => Promise<RunOutcome>,
  messages: ReceivedMessages,
  logger: Logger,
  options: BatchOptions = {},
): Promise<SQSBatchResponse> {
  const failures: SQSBatchItemFailure[] = [];
  const giveBack = async (record: SQSRecord, delaySeconds: number, ids?: { jobId: string; requestId?: string }) => {
    failures.push({ itemIdentifier: record.messageId });
    try {
      await messages.deferMessage(record, delaySeconds);
    } catch (error) {
      // The message still comes back, after the queue's visibility timeout instead.
      logger.warn('could not set the retry delay', { ...ids, error });
    }
  };
  const handleRecord = async (record: SQSRecord) => {
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
    await giveBack(record, delaySeconds, ids);
  };

  const sequential = options.oneAtATime;
  if (!sequential) {
    await Promise.all(records.map(handleRecord));
    return { batchItemFailures: failures };
  }
  for (const [index, record] of records.entries()) {
    if (index > 0 && !sequential.mayStart()) {
      const rest = records.slice(index);
      logger.info('not enough time left in this invocation; messages returned to the queue unstarted', { count: rest.length });
      for (const unstarted of rest) await giveBack(unstarted, 0);
      break;
    }
    await handleRecord(record);
  }
  return { batchItemFailures: failures };
}

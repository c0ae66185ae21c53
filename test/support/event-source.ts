/**
 * Drains a queue through the Lambda SQS event-source stand-in (lib/local/event-source.ts) until
 * it is empty, recording every delivery, for tests.
 *
 * As in Lambda:
 * - a message listed in `batchItemFailures` is left alone: it comes back when its visibility
 *   timeout ends (whatever the handler set with ChangeMessageVisibility, else the queue's);
 * - a handler that throws, or names an id that is not in the batch, fails the whole batch;
 * - ApproximateReceiveCount and the other system attributes are passed through, and the
 *   queue's redrive policy moves a message to the DLQ after maxReceiveCount receives.
 * It polls one batch at a time (one "instance"); run two drains at once for two instances.
 */
import { GetQueueAttributesCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { WORKER } from '../../lambdas/shared/resources.ts';
import {
  deliverBatch,
  getQueueArn,
  receive,
  type Delivery,
  type SqsHandler,
} from '../../lib/local/event-source.ts';

export {
  deleteMessages,
  deliverBatch,
  getQueueArn,
  receive,
  toSqsEvent,
  type DeliverOptions,
  type Delivery,
  type LambdaContextLike,
  type SqsHandler,
} from '../../lib/local/event-source.ts';

export interface DrainOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsHandler;
  /** Messages per invocation (default WORKER.batchSize). */
  readonly batchSize?: number;
  /** Give up (and throw) after this long (default 15 s). */
  readonly deadlineMs?: number;
  /** Give up (and throw) after this many invocations (default 1000: the worker takes one message per invocation). */
  readonly maxInvocations?: number;
  /** What `context.getRemainingTimeInMillis()` starts from in each invocation (default the worker's Lambda timeout). */
  readonly invocationTimeoutMs?: number;
  /**
   * Messages in flight that are not ours to wait for (e.g. one held by another drain that
   * plays a stuck instance). The drain ends when nothing is visible or delayed and at most this
   * many are in flight (default 0).
   */
  readonly allowInFlight?: number;
}

export interface DrainReport {
  readonly invocations: number;
  readonly deliveries: readonly Delivery[];
  /** Errors thrown by the handler (each failed its whole batch). */
  readonly errors: readonly unknown[];
}

interface QueueCounts {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/**
 * Feeds the queue to the handler until nothing is left (nothing visible, delayed or in flight),
 * and reports every delivery. Throws with the queue's state when the deadline passes first.
 */
export async function drainQueue(options: DrainOptions): Promise<DrainReport> {
  const { sqs, queueUrl } = options;
  const batchSize = options.batchSize ?? WORKER.batchSize;
  const deadlineMs = options.deadlineMs ?? 15_000;
  const maxInvocations = options.maxInvocations ?? 1000;
  const allowInFlight = options.allowInFlight ?? 0;
  const deadline = Date.now() + deadlineMs;
  const queueArn = await getQueueArn(sqs, queueUrl);
  const deliveries: Delivery[] = [];
  const errors: unknown[] = [];
  let invocations = 0;

  for (;;) {
    if (Date.now() > deadline || invocations >= maxInvocations) {
      const counts = await queueCounts(sqs, queueUrl);
      const reason = invocations >= maxInvocations ? `${maxInvocations} invocations` : `${deadlineMs} ms`;
      throw new Error(
        `drainQueue: ${queueUrl} not drained after ${reason}: ${counts.visible} visible, ${counts.inFlight} in flight, ` +
          `${counts.delayed} delayed; ${invocations} invocations, ${deliveries.length} deliveries` +
          (errors.length ? `; last handler error: ${String(errors[errors.length - 1])}` : ''),
      );
    }
    const messages = await receive(sqs, queueUrl, batchSize);
    const receivedAt = Date.now();
    if (messages.length === 0) {
      const counts = await queueCounts(sqs, queueUrl);
      if (counts.visible === 0 && counts.delayed === 0 && counts.inFlight <= allowInFlight) {
        return { invocations, deliveries, errors };
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    invocations++;
    const result = await deliverBatch({
      ...options,
      invocationTimeoutMs: options.invocationTimeoutMs ?? WORKER.timeoutSeconds * 1000,
      messages,
      queueArn,
      receivedAt,
    });
    deliveries.push(...result.deliveries);
    if (result.error !== undefined) errors.push(result.error);
  }
}

export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/**
 * Receives until `count` messages are in hand (short polls can return fewer than are there),
 * for tests that build a batch themselves.
 */
export async function receiveExactly(sqs: SQSClient, queueUrl: string, count: number, timeoutMs = 5_000): Promise<Message[]> {
  const deadline = Date.now() + timeoutMs;
  const messages: Message[] = [];
  while (messages.length < count) {
    if (Date.now() > deadline) {
      throw new Error(`Received ${messages.length} of ${count} expected message(s) from ${queueUrl} in ${timeoutMs} ms`);
    }
    const batch = await receive(sqs, queueUrl, count - messages.length);
    if (batch.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    messages.push(...batch);
  }
  return messages;
}


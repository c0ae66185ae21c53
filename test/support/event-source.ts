/**
 * A stand-in for the Lambda SQS event source mapping: receives batches, invokes a handler with
 * an SQSEvent, and deletes what the handler did not report as failed (ReportBatchItemFailures).
 *
 * As in Lambda:
 * - a message listed in `batchItemFailures` is left alone: it comes back when its visibility
 *   timeout ends (whatever the handler set with ChangeMessageVisibility, else the queue's);
 * - a handler that throws, or names an id that is not in the batch, fails the whole batch;
 * - ApproximateReceiveCount and the other system attributes are passed through, and the
 *   queue's redrive policy moves a message to the DLQ after maxReceiveCount receives.
 * It polls one batch at a time (one "instance"); run two drains at once for two instances.
 */
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { WORKER } from '../../lambdas/shared/resources.ts';

export type LambdaContextLike = Pick<Context, 'getRemainingTimeInMillis'>;

/** The worker, DLQ consumer or any other SQS-triggered handler. */
export type SqsHandler = (event: SQSEvent, context: LambdaContextLike) => Promise<SQSBatchResponse | void>;

export interface DrainOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsHandler;
  /** Messages per invocation (default WORKER.batchSize). */
  readonly batchSize?: number;
  /** Give up (and throw) after this long (default 15 s). */
  readonly deadlineMs?: number;
  /** Give up (and throw) after this many invocations (default 100). */
  readonly maxInvocations?: number;
  /** What `context.getRemainingTimeInMillis()` starts from in each invocation (default 60 s). */
  readonly invocationTimeoutMs?: number;
  /**
   * Messages in flight that are not ours to wait for (e.g. one held by another drain that
   * plays a stuck instance). The drain ends when nothing is visible or delayed and at most this
   * many are in flight (default 0).
   */
  readonly allowInFlight?: number;
}

/** What happened to one received message in one invocation. */
export interface Delivery {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  /** When the event source received it (epoch ms). */
  readonly receivedAt: number;
  readonly outcome: 'deleted' | 'failed' | 'batch-error';
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
  const maxInvocations = options.maxInvocations ?? 100;
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
    const result = await deliverBatch({ ...options, messages, queueArn, receivedAt });
    deliveries.push(...result.deliveries);
    if (result.error !== undefined) errors.push(result.error);
  }
}

export interface DeliverOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  readonly messages: readonly Message[];
  /** When the messages were received (default: now). */
  readonly receivedAt?: number;
  readonly invocationTimeoutMs?: number;
}

/** One invocation: the handler gets the messages as one event; the successes are deleted. */
export async function deliverBatch(
  options: DeliverOptions,
): Promise<{ readonly deliveries: readonly Delivery[]; readonly error?: unknown }> {
  const { sqs, queueUrl, messages } = options;
  const receivedAt = options.receivedAt ?? Date.now();
  const event = toSqsEvent(messages, options.queueArn);
  const invocationDeadline = Date.now() + (options.invocationTimeoutMs ?? 60_000);
  const context: LambdaContextLike = { getRemainingTimeInMillis: () => Math.max(0, invocationDeadline - Date.now()) };

  let failedIds: ReadonlySet<string>;
  let error: unknown;
  try {
    const response = await options.handler(event, context);
    const ids = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    const known = new Set(event.Records.map((record) => record.messageId));
    // Lambda treats a response naming an unknown (or empty) id as a failure of the whole batch.
    failedIds = ids.every((id) => known.has(id)) ? new Set(ids) : known;
  } catch (thrown) {
    error = thrown;
    failedIds = new Set(event.Records.map((record) => record.messageId));
  }

  const done = messages.filter((message) => !failedIds.has(message.MessageId!));
  await deleteMessages(sqs, queueUrl, done);
  const deliveries = messages.map(
    (message): Delivery => ({
      messageId: message.MessageId!,
      body: message.Body ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
      receivedAt,
      outcome: error !== undefined ? 'batch-error' : failedIds.has(message.MessageId!) ? 'failed' : 'deleted',
    }),
  );
  return error !== undefined ? { deliveries, error } : { deliveries };
}

/** Builds the event Lambda would pass for these received messages. */
export function toSqsEvent(messages: readonly Message[], queueArn: string): SQSEvent {
  const region = queueArn.split(':')[3] ?? 'us-east-1';
  return {
    Records: messages.map((message): SQSRecord => {
      const attributes = message.Attributes ?? {};
      return {
        messageId: required(message.MessageId, 'MessageId'),
        receiptHandle: required(message.ReceiptHandle, 'ReceiptHandle'),
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
          SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
          SenderId: attributes.SenderId ?? '000000000000',
          ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
          ...(attributes.AWSTraceHeader ? { AWSTraceHeader: attributes.AWSTraceHeader } : {}),
          ...(attributes.DeadLetterQueueSourceArn ? { DeadLetterQueueSourceArn: attributes.DeadLetterQueueSourceArn } : {}),
        },
        messageAttributes: messageAttributes(message),
        md5OfBody: message.MD5OfBody ?? '',
        ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: region,
      };
    }),
  };
}

function messageAttributes(message: Message): SQSMessageAttributes {
  const result: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    result[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return result;
}

/** One short-poll receive, with every system attribute (ApproximateReceiveCount above all). */
export async function receive(sqs: SQSClient, queueUrl: string, max = 10): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

export async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly Message[]): Promise<void> {
  if (messages.length === 0) return;
  const { Failed = [] } = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
    }),
  );
  if (Failed.length > 0) {
    throw new Error(`DeleteMessageBatch failed for ${Failed.length} message(s): ${Failed.map((f) => f.Message).join('; ')}`);
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

export async function getQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return required(Attributes?.QueueArn, `QueueArn of ${queueUrl}`);
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

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`SQS returned no ${what}`);
  return value;
}

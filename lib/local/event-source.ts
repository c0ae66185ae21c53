/**
 * A stand-in for the Lambda SQS event source mapping, shared by the local runtime and the
 * tests: receives batches, invokes a handler with the SQSEvent Lambda would build, and deletes
 * what the handler did not report as failed (ReportBatchItemFailures).
 *
 * As in Lambda:
 * - a message listed in `batchItemFailures` is left alone: it comes back when its visibility
 *   timeout ends (whatever the handler set with ChangeMessageVisibility, else the queue's);
 * - a handler that throws, or names an id that is not in the batch, fails the whole batch;
 * - ApproximateReceiveCount and the other system attributes are passed through, and the
 *   queue's redrive policy moves a message to the DLQ after maxReceiveCount receives.
 */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export type LambdaContextLike = Pick<Context, 'getRemainingTimeInMillis'>;

/** The worker, DLQ consumer or any other SQS-triggered handler. */
export type SqsHandler = (event: SQSEvent, context: LambdaContextLike) => Promise<SQSBatchResponse | void>;

/** What happened to one received message in one invocation. */
export interface Delivery {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  /** When the event source received it (epoch ms). */
  readonly receivedAt: number;
  readonly outcome: 'deleted' | 'failed' | 'batch-error';
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
  // Attribute names are the sender's (`__proto__` is a valid one): own properties only.
  return Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? 'String',
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  );
}

/** One receive (a short poll unless `waitTimeSeconds` is given), with every system attribute (ApproximateReceiveCount above all). */
export async function receive(sqs: SQSClient, queueUrl: string, max = 10, waitTimeSeconds = 0): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
      WaitTimeSeconds: waitTimeSeconds,
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

export async function getQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return required(Attributes?.QueueArn, `QueueArn of ${queueUrl}`);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`SQS returned no ${what}`);
  return value;
}

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsHandler;
  /** Messages per invocation, as the event source mapping's BatchSize. */
  readonly batchSize: number;
  /** Invocations at once (concurrent "instances"). */
  readonly concurrency: number;
  /**
   * Messages received and not yet handled, over all invocations: no receive asks for more than
   * what is left of it, so at most this many jobs run at once. @default concurrency × batchSize
   */
  readonly maxMessagesInFlight?: number;
  /** The function's timeout: what `getRemainingTimeInMillis()` starts from. */
  readonly invocationTimeoutMs: number;
  /** Long-poll wait per receive (default 1 s). */
  readonly waitTimeSeconds?: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface Poller {
  /** Stops receiving; waits up to `graceMs` for invocations in progress. */
  stop(graceMs?: number): Promise<void>;
}

/** Polls the queue continuously and feeds batches to the handler, like a Lambda event source. */
export function startPoller(options: PollerOptions): Poller {
  let stopped = false;
  let queueArn: Promise<string> | undefined;
  const limit = options.maxMessagesInFlight ?? options.concurrency * options.batchSize;
  // Messages reserved by a receive in progress or held by an invocation.
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const resolve of woken) resolve();
  };
  const release = (count: number) => {
    if (count <= 0) return;
    inFlight -= count;
    wake();
  };
  const loop = async () => {
    while (!stopped) {
      if (inFlight >= limit) {
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      let held = Math.min(options.batchSize, limit - inFlight);
      inFlight += held;
      try {
        queueArn ??= getQueueArn(options.sqs, options.queueUrl);
        const messages = await receive(options.sqs, options.queueUrl, held, options.waitTimeSeconds ?? 1);
        release(held - messages.length);
        held = messages.length;
        if (stopped || messages.length === 0) continue;
        const result = await deliverBatch({
          sqs: options.sqs,
          queueUrl: options.queueUrl,
          queueArn: await queueArn,
          handler: options.handler,
          messages,
          invocationTimeoutMs: options.invocationTimeoutMs,
        });
        if (result.error !== undefined) options.log?.('invocation failed; its batch will be delivered again', { error: result.error });
      } catch (error) {
        queueArn = undefined;
        if (stopped) return;
        options.log?.('polling failed; retrying in 1 s', { error });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      } finally {
        release(held);
      }
    }
  };
  const loops = Array.from({ length: options.concurrency }, () => loop());
  return {
    async stop(graceMs = 2000) {
      stopped = true;
      wake();
      await Promise.race([Promise.all(loops), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    },
  };
}

/**
 * JobQueue on Amazon SQS, one queue per priority band: the message body is the job id and its
 * generation (lambdas/shared/messages.ts); the job's priority picks the queue.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ServiceUnavailableError } from '../domain/errors.ts';
import type { JobPriority } from '../domain/job.ts';
import type { JobQueue, QueuedJob, ReceivedMessage, ReceivedMessages } from '../domain/ports.ts';
import { encodeJobMessage } from '../shared/messages.ts';

/** SQS limits DelaySeconds to 15 minutes; visibility to 12 hours. */
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;

export interface SqsJobQueueOptions {
  /** The queue of each priority band. */
  readonly queueUrls: Readonly<Record<JobPriority, string>>;
  readonly client?: SQSClient;
}

export class SqsJobQueue implements JobQueue, ReceivedMessages {
  private readonly queueUrls: Readonly<Record<JobPriority, string>>;
  private readonly client: SQSClient;

  constructor(options: SqsJobQueueOptions) {
    this.queueUrls = options.queueUrls;
    this.client = options.client ?? new SQSClient({});
  }

  async enqueue(job: QueuedJob, delaySeconds = 0): Promise<void> {
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrls[job.priority] ?? this.queueUrls.normal,
          MessageBody: encodeJobMessage({ jobId: job.id, generation: job.generation, ...(job.requestId ? { requestId: job.requestId } : {}) }),
          DelaySeconds: clamp(delaySeconds, MAX_DELAY_SECONDS),
        }),
      );
    } catch (error) {
      throw new ServiceUnavailableError('The job queue is temporarily unavailable', { cause: error });
    }
  }

  async deferMessage(message: ReceivedMessage, delaySeconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrlOf(message.eventSourceARN),
        ReceiptHandle: message.receiptHandle,
        VisibilityTimeout: clamp(delaySeconds, MAX_VISIBILITY_SECONDS),
      }),
    );
  }

  /** The band queue whose name the ARN ends with (`arn:aws:sqs:<region>:<account>:<name>`). */
  private queueUrlOf(queueArn: string): string {
    const name = queueArn.slice(queueArn.lastIndexOf(':') + 1);
    const url = Object.values(this.queueUrls).find((candidate) => candidate.slice(candidate.lastIndexOf('/') + 1) === name);
    if (!url) throw new Error(`The message came from ${queueArn}, which is not one of the jobs queues`);
    return url;
  }
}

function clamp(seconds: number, max: number): number {
  return Math.min(max, Math.max(0, Math.round(seconds)));
}

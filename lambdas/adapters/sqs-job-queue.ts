/** JobQueue on Amazon SQS: the message body is the job id and its generation (lambdas/shared/messages.ts). */
import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ServiceUnavailableError } from '../domain/errors.ts';
import type { JobQueue, JobRef, ReceivedMessages } from '../domain/ports.ts';
import { encodeJobMessage } from '../shared/messages.ts';

/** SQS limits DelaySeconds to 15 minutes; visibility to 12 hours. */
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;

export interface SqsJobQueueOptions {
  readonly queueUrl: string;
  readonly client?: SQSClient;
}

export class SqsJobQueue implements JobQueue, ReceivedMessages {
  private readonly queueUrl: string;
  private readonly client: SQSClient;

  constructor(options: SqsJobQueueOptions) {
    this.queueUrl = options.queueUrl;
    this.client = options.client ?? new SQSClient({});
  }

  async enqueue(job: JobRef, delaySeconds = 0): Promise<void> {
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: encodeJobMessage({ jobId: job.id, generation: job.generation }),
          DelaySeconds: clamp(delaySeconds, MAX_DELAY_SECONDS),
        }),
      );
    } catch (error) {
      throw new ServiceUnavailableError('The job queue is temporarily unavailable', { cause: error });
    }
  }

  async deferMessage(receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: clamp(delaySeconds, MAX_VISIBILITY_SECONDS),
      }),
    );
  }
}

function clamp(seconds: number, max: number): number {
  return Math.min(max, Math.max(0, Math.round(seconds)));
}

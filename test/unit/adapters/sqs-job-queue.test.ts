import { ChangeMessageVisibilityCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsJobQueue } from '../../../lambdas/adapters/sqs-job-queue.ts';
import { ServiceUnavailableError } from '../../../lambdas/domain/errors.ts';
import { JOB_PRIORITIES } from '../../../lambdas/domain/job.ts';
import { jobQueueFrom } from '../../../lambdas/shared/queue-wiring.ts';

const sqs = mockClient(SQSClient);
const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;
const queueUrls = { low: url('jobs-low'), normal: url('jobs'), high: url('jobs-high'), urgent: url('jobs-urgent') };
const queue = new SqsJobQueue({ queueUrls, client: new SQSClient({ region: 'us-east-1' }) });
const id = '550e8400-e29b-41d4-a716-446655440000';

beforeEach(() => sqs.reset());

describe('SqsJobQueue', () => {
  it.each(JOB_PRIORITIES)('sends a %s job to its band queue, the id and generation in the body', async (priority) => {
    sqs.on(SendMessageCommand).resolves({});
    await queue.enqueue({ id, generation: 2, priority }, 30);
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input).toEqual({
      QueueUrl: queueUrls[priority],
      MessageBody: JSON.stringify({ jobId: id, generation: 2 }),
      DelaySeconds: 30,
    });
  });

  it('turns a failed send into ServiceUnavailableError', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('down'));
    await expect(queue.enqueue({ id, generation: 0, priority: 'high' })).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('defers a received message in the queue it came from', async () => {
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    await queue.deferMessage({ receiptHandle: 'r-1', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:jobs-high' }, 12);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]!.args[0].input).toEqual({
      QueueUrl: queueUrls.high,
      ReceiptHandle: 'r-1',
      VisibilityTimeout: 12,
    });
  });

  it('refuses to defer a message from a queue that is not a band', async () => {
    await expect(queue.deferMessage({ receiptHandle: 'r-1', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:other' }, 12)).rejects.toThrow(
      /not one of the jobs queues/,
    );
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
  });
});

describe('jobQueueFrom', () => {
  it('fails fast naming the missing band variable', () => {
    const env = { JOBS_QUEUE_URL: url('jobs'), JOBS_QUEUE_URL_LOW: url('jobs-low'), JOBS_QUEUE_URL_URGENT: url('jobs-urgent') };
    expect(() => jobQueueFrom(env)).toThrow(/JOBS_QUEUE_URL_HIGH/);
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DLQ_CONSUMER, WORKER } from '../../lambdas/shared/resources.ts';
import { logicalId, synthDefaultStack } from './support/synth.ts';

describe('jobs queues', () => {
  const { stack, template } = synthDefaultStack();
  const queues = template.findResources('AWS::SQS::Queue');
  const jobsQueue = queues[logicalId(stack.queues.jobsQueue)]?.Properties;
  const deadLetterQueue = queues[logicalId(stack.queues.deadLetterQueue)]?.Properties;
  const functions = template.findResources('AWS::Lambda::Function');

  it('keeps jobs invisible for at least six times the worker timeout', () => {
    const workerTimeout = functions[logicalId(stack.background.worker.function)]?.Properties.Timeout as number;
    expect(workerTimeout).toBeGreaterThan(0);
    expect(jobsQueue?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  it('keeps dead letters invisible for at least six times the DLQ consumer timeout', () => {
    const consumerTimeout = functions[logicalId(stack.background.dlqConsumer.function)]?.Properties.Timeout as number;
    expect(deadLetterQueue?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumerTimeout);
  });

  it('moves a message to the dead-letter queue after WORKER.maxReceiveCount receives', () => {
    expect(jobsQueue?.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.queues.deadLetterQueue), 'Arn'] },
      maxReceiveCount: WORKER.maxReceiveCount,
    });
  });

  it('keeps dead letters for DLQ_CONSUMER.retentionDays', () => {
    expect(deadLetterQueue?.MessageRetentionPeriod).toBe(DLQ_CONSUMER.retentionDays * 86_400);
  });

  it.each([
    ['jobs queue', () => jobsQueue],
    ['dead-letter queue', () => deadLetterQueue],
  ])('encrypts the %s at rest', (_, queue) => {
    expect(queue()?.SqsManagedSseEnabled).toBe(true);
  });

  it.each([
    ['jobs queue', () => stack.queues.jobsQueue],
    ['dead-letter queue', () => stack.queues.deadLetterQueue],
  ])('denies any request to the %s not made over TLS', (_, queue) => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(queue()) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

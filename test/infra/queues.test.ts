import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JOB_PRIORITIES } from '../../lambdas/domain/job.ts';
import { DLQ_CONSUMER, WORKER } from '../../lambdas/shared/resources.ts';
import { logicalId, synthDefaultStack } from './support/synth.ts';

describe('jobs queues', () => {
  const { stack, template } = synthDefaultStack();
  const queues = template.findResources('AWS::SQS::Queue');
  const deadLetterQueue = queues[logicalId(stack.queues.deadLetterQueue)]?.Properties;
  const functions = template.findResources('AWS::Lambda::Function');

  const bands = JOB_PRIORITIES.map((band) => [band, queues[logicalId(stack.queues.bandQueues[band])]?.Properties] as const);

  it('has one jobs queue per priority band besides the dead-letter queue; normal is the original jobs queue', () => {
    expect(Object.keys(queues)).toHaveLength(JOB_PRIORITIES.length + 1);
    expect(stack.queues.bandQueues.normal).toBe(stack.queues.jobsQueue);
    expect(logicalId(stack.queues.jobsQueue)).toMatch(/^QueuesJobsQueue[0-9A-F]{8}$/);
  });

  it.each(bands)('keeps %s jobs invisible for at least six times the worker timeout', (_, queue) => {
    const workerTimeout = functions[logicalId(stack.background.worker.function)]?.Properties.Timeout as number;
    expect(workerTimeout).toBeGreaterThan(0);
    expect(queue?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  it('keeps dead letters invisible for at least six times the DLQ consumer timeout', () => {
    const consumerTimeout = functions[logicalId(stack.background.dlqConsumer.function)]?.Properties.Timeout as number;
    expect(deadLetterQueue?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumerTimeout);
  });

  it.each(bands)('moves a %s message to the one dead-letter queue after WORKER.maxReceiveCount receives', (_, queue) => {
    expect(queue?.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.queues.deadLetterQueue), 'Arn'] },
      maxReceiveCount: WORKER.maxReceiveCount,
    });
  });

  it('keeps dead letters for DLQ_CONSUMER.retentionDays', () => {
    expect(deadLetterQueue?.MessageRetentionPeriod).toBe(DLQ_CONSUMER.retentionDays * 86_400);
  });

  it.each([
    ...bands.map(([band, queue]) => [`${band} queue`, () => queue] as const),
    ['dead-letter queue', () => deadLetterQueue] as const,
  ])('encrypts the %s at rest', (_, queue) => {
    expect(queue()?.SqsManagedSseEnabled).toBe(true);
  });

  it.each([
    ...JOB_PRIORITIES.map((band) => [`${band} queue`, () => stack.queues.bandQueues[band]] as const),
    ['dead-letter queue', () => stack.queues.deadLetterQueue] as const,
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

/**
 * The jobs queues, one per priority band, and their one dead-letter queue, with the settings of
 * WORKER and DLQ_CONSUMER.
 */
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_PRIORITIES, type JobPriority } from '../../lambdas/domain/job.ts';
import { DLQ_CONSUMER, WORKER } from '../../lambdas/shared/resources.ts';

/** AWS guidance for SQS event sources: visibility timeout at least six times the function timeout. */
export const MIN_VISIBILITY_TO_TIMEOUT_RATIO = 6;

/**
 * Both queues enforce TLS (a policy denying `aws:SecureTransport: false`) and use SQS-managed
 * server-side encryption: encrypted at rest at no cost, and no KMS key policy or kms:Decrypt grant
 * for producers and consumers. Messages carry only job ids; the job data stays in DynamoDB.
 */
export class JobsQueues extends Construct {
  /** Work for the worker, one queue per priority band; a message is one job id. */
  readonly bandQueues: Readonly<Record<JobPriority, Queue>>;
  /** The `normal` band's queue (the stack's original jobs queue). */
  readonly jobsQueue: Queue;
  /** Messages delivered WORKER.maxReceiveCount times without success (poison, crashes). */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    assertVisibilityCoversRetries(WORKER.visibilityTimeoutSeconds, WORKER.timeoutSeconds, 'jobs queue');
    assertVisibilityCoversRetries(DLQ_CONSUMER.visibilityTimeoutSeconds, DLQ_CONSUMER.timeoutSeconds, 'dead-letter queue');

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(DLQ_CONSUMER.retentionDays),
      visibilityTimeout: Duration.seconds(DLQ_CONSUMER.visibilityTimeoutSeconds),
    });
    // `normal` keeps the id of the single queue of earlier versions, so an update keeps its messages.
    const bandQueue = (band: JobPriority) =>
      new Queue(this, band === 'normal' ? 'JobsQueue' : `JobsQueue${band[0]!.toUpperCase()}${band.slice(1)}`, {
        enforceSSL: true,
        encryption: QueueEncryption.SQS_MANAGED,
        visibilityTimeout: Duration.seconds(WORKER.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: WORKER.maxReceiveCount },
      });
    this.bandQueues = Object.fromEntries(JOB_PRIORITIES.map((band) => [band, bandQueue(band)])) as Record<JobPriority, Queue>;
    this.jobsQueue = this.bandQueues.normal;
  }
}

function assertVisibilityCoversRetries(visibilitySeconds: number, timeoutSeconds: number, queue: string): void {
  if (visibilitySeconds < MIN_VISIBILITY_TO_TIMEOUT_RATIO * timeoutSeconds) {
    throw new Error(
      `The ${queue} visibility timeout (${visibilitySeconds}s) must be at least ` +
        `${MIN_VISIBILITY_TO_TIMEOUT_RATIO}x its consumer's timeout (${timeoutSeconds}s)`,
    );
  }
}

/**
 * The background side: the worker that runs jobs from the queue, the consumer that fails jobs
 * whose messages reached the dead-letter queue, and the scheduled reconciler.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOB_PRIORITIES, type JobPriority } from '../../lambdas/domain/job.ts';
import { BACKGROUND_ENTRIES, DLQ_CONSUMER, ENV, JOBS_TABLE, RECONCILER, splitWorkerConcurrency, WORKER } from '../../lambdas/shared/resources.ts';
import { bedrockModelAccess, bedrockModelIds, bedrockWorkerEnvironment } from '../bedrock.ts';
import type { BedrockSettings } from '../config.ts';
import { acknowledge } from '../nag.ts';
import { JobFunction } from './job-function.ts';
import type { PayloadAccess } from '../../lambdas/api/routes.ts';
import type { JobsPayloads } from './jobs-payloads.ts';
import type { JobsTable } from './jobs-table.ts';

/** The worker reads inputs (and uploaded documents copied there) and results; it writes results. */
export const WORKER_PAYLOAD_ACCESS: PayloadAccess = { inputs: ['s3:GetObject'], results: ['s3:GetObject', 's3:PutObject'] };

export interface JobsBackgroundProps {
  readonly jobsTable: JobsTable;
  /** Inputs and results too large for the job record, and document uploads. */
  readonly payloads: JobsPayloads;
  /** Address the payload bucket path-style (LocalStack). @default false */
  readonly s3ForcePathStyle?: boolean;
  /** The jobs queue of each priority band: one event source each, with its share of the workers. */
  readonly jobsQueues: Readonly<Record<JobPriority, IQueue>>;
  readonly deadLetterQueue: IQueue;
  /** The worker's default model, e.g. `amazon.nova-lite-v1:0` or `us.anthropic.…` (a profile). */
  readonly bedrockModelId: string;
  /**
   * Bedrock Region and model settings, per job type where given; every model id in them is
   * invoked (and allowed) besides `bedrockModelId`. @default - the stack's Region and the worker's defaults
   */
  readonly bedrock?: BedrockSettings;
  /** Days a finished job is kept; terminal transitions set the TTL from it. */
  readonly jobRetentionDays: number;
  /**
   * Maximum concurrent worker instances, split over the bands' event sources by
   * splitWorkerConcurrency (at least 2 each). @default WORKER.maxConcurrency
   */
  readonly maxConcurrency?: number;
  /**
   * Sends the worker's Bedrock Runtime calls to this URL (a stand-in, e.g. on LocalStack, which has
   * no Bedrock in its free edition), one HTTP attempt per model call so that the job's own
   * attempts govern retries. @default - the SDK's Bedrock endpoint
   */
  readonly bedrockEndpoint?: string;
}

export class JobsBackground extends Construct {
  /** Runs jobs: claims, calls the processor, records the outcome. */
  readonly worker: JobFunction;
  /** Marks jobs whose message reached the dead-letter queue FAILED. */
  readonly dlqConsumer: JobFunction;
  /** Re-enqueues stale PENDING jobs and fails PROCESSING jobs whose lease is long gone. */
  readonly reconciler: JobFunction;
  readonly reconcilerSchedule: Rule;
  /** The worker concurrency of each band's event source. */
  readonly workerConcurrency: Readonly<Record<JobPriority, number>>;

  constructor(scope: Construct, id: string, props: JobsBackgroundProps) {
    super(scope, id);
    const retention = { [ENV.retentionDays]: String(props.jobRetentionDays) };

    this.worker = new JobFunction(this, 'Worker', {
      entry: BACKGROUND_ENTRIES.worker,
      description: 'Runs jobs from the jobs queues (one per priority)',
      memorySize: 512,
      timeout: Duration.seconds(WORKER.timeoutSeconds),
      environment: {
        ...retention,
        ...bedrockWorkerEnvironment(props.bedrockModelId, props.bedrock),
        ...(props.bedrockEndpoint ? { [ENV.bedrockEndpointUrl]: props.bedrockEndpoint, [ENV.bedrockMaxAttempts]: '1' } : {}),
      },
    })
      .useTable(props.jobsTable, ['dynamodb:GetItem', 'dynamodb:UpdateItem'])
      // Reads large inputs and the results of source jobs; stores large results.
      .usePayloads(props.payloads, WORKER_PAYLOAD_ACCESS, { forcePathStyle: props.s3ForcePathStyle === true })
      // Retries back off by changing the visibility of the message being processed.
      .useJobsQueues(props.jobsQueues, 'sqs:ChangeMessageVisibility');
    // One event source per band, each with its own share: a band's workers serve only its queue.
    this.workerConcurrency = splitWorkerConcurrency(props.maxConcurrency ?? WORKER.maxConcurrency);
    for (const band of JOB_PRIORITIES) {
      this.worker.function.addEventSource(
        new SqsEventSource(props.jobsQueues[band], {
          batchSize: WORKER.batchSize,
          maxBatchingWindow: Duration.seconds(WORKER.maxBatchingWindowSeconds),
          reportBatchItemFailures: true,
          maxConcurrency: this.workerConcurrency[band],
        }),
      );
    }
    // Every distinct model in use (the default and the per-type ones), in the Bedrock Region.
    const region = props.bedrock?.region;
    const acknowledged = new Set<string>();
    for (const modelId of bedrockModelIds(props.bedrockModelId, props.bedrock)) {
      const bedrock = bedrockModelAccess(this, modelId, region ? { region } : {});
      for (const statement of bedrock.statements) this.worker.function.addToRolePolicy(statement);
      if (bedrock.anyRegionModelId && !acknowledged.has(bedrock.anyRegionModelId)) {
        acknowledged.add(bedrock.anyRegionModelId);
        // cdk-nag names the finding by the rendered ARN; the partition is a literal once the Region is known.
        const { partition } = Stack.of(this);
        const partitionText = Token.isUnresolved(partition) ? '<AWS::Partition>' : partition;
        acknowledge(
          this.worker.role,
          `AwsSolutions-IAM5[Resource::arn:${partitionText}:bedrock:*::foundation-model/${bedrock.anyRegionModelId}]`,
          'A cross-Region inference profile routes to this one model in any of its Regions; the statement is limited to calls made through the configured profile (bedrock:InferenceProfileArn).',
        );
      }
    }

    this.dlqConsumer = new JobFunction(this, 'DlqConsumer', {
      entry: BACKGROUND_ENTRIES.dlqConsumer,
      description: 'Marks jobs whose messages reached the dead-letter queue as FAILED',
      timeout: Duration.seconds(DLQ_CONSUMER.timeoutSeconds),
      environment: retention,
    }).useTable(props.jobsTable, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    this.dlqConsumer.function.addEventSource(
      new SqsEventSource(props.deadLetterQueue, {
        batchSize: DLQ_CONSUMER.batchSize,
        reportBatchItemFailures: true,
      }),
    );

    this.reconciler = new JobFunction(this, 'Reconciler', {
      entry: BACKGROUND_ENTRIES.reconciler,
      description: 'Re-enqueues stale PENDING jobs and fails PROCESSING jobs with expired leases',
      timeout: Duration.seconds(RECONCILER.timeoutSeconds),
      environment: retention,
    })
      .useTable(props.jobsTable, ['dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], [JOBS_TABLE.dueIndex.name])
      .useJobsQueues(props.jobsQueues, 'sqs:SendMessage');
    this.reconcilerSchedule = new Rule(this, 'ReconcilerSchedule', {
      description: `Runs the jobs reconciler every ${RECONCILER.scheduleMinutes} minutes`,
      schedule: Schedule.rate(Duration.minutes(RECONCILER.scheduleMinutes)),
      targets: [new LambdaFunction(this.reconciler.function, { retryAttempts: 2 })],
    });
  }
}

/**
 * The asynchronous jobs stack: composes the constructs and publishes what clients need.
 */
import { CfnOutput, RemovalPolicies, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { JobsConfig } from './config.ts';
import { JobsApi } from './constructs/jobs-api.ts';
import { JobsAuth } from './constructs/jobs-auth.ts';
import { JobsQueues } from './constructs/jobs-queues.ts';
import { JobsTable } from './constructs/jobs-table.ts';
import { JobsWorker } from './constructs/jobs-worker.ts';

export interface JobsStackProps extends StackProps {
  readonly config: JobsConfig;
}

export class JobsStack extends Stack {
  readonly jobsTable: JobsTable;
  readonly queues: JobsQueues;
  readonly auth: JobsAuth;
  readonly api: JobsApi;
  readonly worker: JobsWorker;

  constructor(scope: Construct, id: string, props: JobsStackProps) {
    super(scope, id, props);
    const { config } = props;
    // retainData keeps the jobs, the users and the logs when the stack is deleted.
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.jobsTable = new JobsTable(this, 'JobsTable', { removalPolicy });
    this.queues = new JobsQueues(this, 'Queues');
    this.auth = new JobsAuth(this, 'Auth', {
      ...(config.existingUserPool ? { existingUserPool: config.existingUserPool } : {}),
      removalPolicy,
    });
    this.api = new JobsApi(this, 'Api', {
      jobsTable: this.jobsTable,
      jobsQueue: this.queues.jobsQueue,
      userPool: this.auth.userPool,
      allowedOrigins: config.allowedOrigins,
      jobRetentionDays: config.jobRetentionDays,
    });
    this.worker = new JobsWorker(this, 'Background', {
      jobsTable: this.jobsTable,
      jobsQueue: this.queues.jobsQueue,
      deadLetterQueue: this.queues.deadLetterQueue,
      bedrockModelId: config.bedrockModelId,
      jobRetentionDays: config.jobRetentionDays,
      maxConcurrency: config.workerMaxConcurrency,
    });
    if (!config.retainData) {
      RemovalPolicies.of(this).destroy({ applyToResourceTypes: ['AWS::Logs::LogGroup'] });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the prod stage' });
    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.auth.userPoolClient.userPoolClientId });
    new CfnOutput(this, 'JobsTableName', { value: this.jobsTable.table.tableName });
    new CfnOutput(this, 'JobsQueueUrl', { value: this.queues.jobsQueue.queueUrl });
  }
}

/**
 * The asynchronous jobs stack: composes the constructs and publishes what clients need.
 *
 * With `config.localstack` it is the LocalStack variant (`npm run deploy:local`): LocalStack's free
 * edition has no Cognito, so there is no user pool and the API trusts the local dev ID tokens of
 * `npm run token` through a Lambda authorizer (and the route functions verify them too, because
 * that edition never invokes authorizers). Never deploy that variant to AWS: anybody who can read
 * the local key file can sign in as anybody.
 */
import { CfnOutput, Fn, RemovalPolicies, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { JobsConfig } from './config.ts';
import { API_STAGE, JobsApi, type JobsApiAuth } from './constructs/jobs-api.ts';
import { JobsAuth } from './constructs/jobs-auth.ts';
import { JobsPayloads } from './constructs/jobs-payloads.ts';
import { JobsQueues } from './constructs/jobs-queues.ts';
import { JobsTable } from './constructs/jobs-table.ts';
import { WorkspacesTable } from './constructs/workspaces-table.ts';
import { JobsBackground } from './constructs/jobs-background.ts';
import { JobsMonitoring } from './constructs/jobs-monitoring.ts';
import { OperatorPolicy } from './constructs/operator-policy.ts';
import { ROUTES } from '../lambdas/api/routes.ts';
import { JOBS_TABLE_INDEX_NAMES, STACK_OUTPUTS, WORKSPACES_TABLE } from '../lambdas/shared/resources.ts';
import type { LocalJwks } from './local/tokens.ts';

export interface JobsStackProps extends StackProps {
  readonly config: JobsConfig;
  /**
   * With `config.localstack`: the JWKS of the local dev token key (bin/app.ts reads it from the dev
   * data folder). Only the public members of its keys are deployed.
   */
  readonly localJwks?: LocalJwks;
}


export class JobsStack extends Stack {
  readonly jobsTable: JobsTable;
  readonly workspacesTable: WorkspacesTable;
  readonly payloads: JobsPayloads;
  readonly queues: JobsQueues;
  /** The Cognito user pool and client; none in the LocalStack variant. */
  readonly auth?: JobsAuth;
  readonly api: JobsApi;
  readonly background: JobsBackground;
  /** The alarms, their topic and the dashboard. */
  readonly monitoring: JobsMonitoring;
  /** What `npm run ops` needs, for the operators' role (output OperatorPolicyArn). */
  readonly operators: OperatorPolicy;

  constructor(scope: Construct, id: string, props: JobsStackProps) {
    super(scope, id, props);
    const { config } = props;
    // retainData keeps the jobs, the users and the logs when the stack is deleted.
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.jobsTable = new JobsTable(this, 'JobsTable', { removalPolicy });
    this.workspacesTable = new WorkspacesTable(this, 'WorkspacesTable', { removalPolicy });
    this.payloads = new JobsPayloads(this, 'Payloads', {
      retentionDays: config.jobRetentionDays,
      removalPolicy,
      allowedOrigins: config.allowedOrigins,
    });
    this.queues = new JobsQueues(this, 'Queues');
    let apiAuth: JobsApiAuth;
    if (config.localstack) {
      if (!props.localJwks) throw new Error('The LocalStack variant needs the JWKS of the local token key (localJwks)');
      apiAuth = { kind: 'local-token', jwks: props.localJwks };
    } else {
      this.auth = new JobsAuth(this, 'Auth', {
        ...(config.existingUserPool ? { existingUserPool: config.existingUserPool } : {}),
        removalPolicy,
        machineClients: config.machineClients,
        ...(config.authDomainPrefix ? { domainPrefix: config.authDomainPrefix } : {}),
      });
      apiAuth = { kind: 'cognito', userPool: this.auth.userPool, userPoolClient: this.auth.userPoolClient };
    }
    this.api = new JobsApi(this, 'Api', {
      jobsTable: this.jobsTable,
      workspacesTable: this.workspacesTable,
      payloads: this.payloads,
      jobsQueues: this.queues.bandQueues,
      auth: apiAuth,
      allowedOrigins: config.allowedOrigins,
      jobRetentionDays: config.jobRetentionDays,
      maxActiveJobsPerCaller: config.maxActiveJobsPerCaller,
      maxActiveJobsPerCallerByType: config.maxActiveJobsPerCallerByType,
    });
    this.background = new JobsBackground(this, 'Background', {
      jobsTable: this.jobsTable,
      payloads: this.payloads,
      s3ForcePathStyle: config.localstack,
      jobsQueues: this.queues.bandQueues,
      deadLetterQueue: this.queues.deadLetterQueue,
      bedrockModelId: config.bedrockModelId,
      ...(config.bedrock ? { bedrock: config.bedrock } : {}),
      jobRetentionDays: config.jobRetentionDays,
      maxConcurrency: config.workerMaxConcurrency,
      ...(config.bedrockEndpoint ? { bedrockEndpoint: config.bedrockEndpoint } : {}),
    });
    this.operators = new OperatorPolicy(this, 'Operators', { jobsTable: this.jobsTable.table, bandQueues: this.queues.bandQueues });
    this.monitoring = new JobsMonitoring(this, 'Monitoring', {
      alarms: config.alarms,
      restApi: this.api.restApi,
      apiStage: API_STAGE,
      routes: ROUTES,
      bandQueues: this.queues.bandQueues,
      deadLetterQueue: this.queues.deadLetterQueue,
      worker: this.background.worker.function,
      dlqConsumer: this.background.dlqConsumer.function,
      reconciler: this.background.reconciler.function,
      tables: {
        JobsTable: { table: this.jobsTable.table, indexNames: JOBS_TABLE_INDEX_NAMES },
        WorkspacesTable: { table: this.workspacesTable.table, indexNames: [WORKSPACES_TABLE.principalIndex.name] },
      },
    });
    if (!config.retainData) {
      RemovalPolicies.of(this).destroy({ applyToResourceTypes: ['AWS::Logs::LogGroup'] });
    }

    if (this.auth) {
      new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the prod stage' });
      new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.auth.userPoolClient.userPoolClientId });
      const tokenEndpoint = this.auth.tokenEndpoint;
      if (tokenEndpoint) {
        new CfnOutput(this, 'TokenEndpoint', { value: tokenEndpoint, description: "Where services get client-credentials access tokens (scopes jobs/read, jobs/write)" });
      }
      for (const [name, client] of this.auth.machineClients) {
        new CfnOutput(this, `MachineClientId${name.replace(/[^A-Za-z0-9]/g, '')}`, {
          value: client.userPoolClientId,
          description: `App client id of machine client "${name}" (its secret: aws cognito-idp describe-user-pool-client)`,
        });
      }
    } else {
      // The execute-api URL CloudFormation would build (`https://<id>.execute-api.<region>.amazonaws.com`) does not reach
      // LocalStack: drop RestApi's own output of it, and publish LocalStack's address instead.
      this.api.restApi.node.tryRemoveChild('Endpoint');
      new CfnOutput(this, 'ApiUrl', {
        value: Fn.join('', ['http://', this.api.restApi.restApiId, `.execute-api.localhost.localstack.cloud:4566/${API_STAGE}/`]),
        description: 'Base URL of the prod stage on LocalStack (default edge port 4566)',
      });
      const kids = (props.localJwks?.keys ?? []).map((key) => key.kid).join(', ');
      new CfnOutput(this, 'TokenCommand', {
        value: 'npm run --silent token -- <username>   (a service: npm run --silent token -- --client <name> --scope "jobs/read jobs/write")',
        description: `Prints a token the API accepts: signed with the local dev key (kid ${kids}) in the dev data folder ($JOBS_DEV_DATA or .dev-data)`,
      });
    }
    new CfnOutput(this, STACK_OUTPUTS.table, { value: this.jobsTable.table.tableName });
    new CfnOutput(this, 'WorkspacesTableName', { value: this.workspacesTable.table.tableName });
    new CfnOutput(this, STACK_OUTPUTS.queues.normal, { value: this.queues.jobsQueue.queueUrl, description: 'The normal priority queue' });
    new CfnOutput(this, STACK_OUTPUTS.queues.low, { value: this.queues.bandQueues.low.queueUrl });
    new CfnOutput(this, STACK_OUTPUTS.queues.high, { value: this.queues.bandQueues.high.queueUrl });
    new CfnOutput(this, STACK_OUTPUTS.queues.urgent, { value: this.queues.bandQueues.urgent.queueUrl });
    new CfnOutput(this, 'PayloadBucketName', { value: this.payloads.bucket.bucketName });
    new CfnOutput(this, 'OperatorPolicyArn', {
      value: this.operators.policy.managedPolicyArn,
      description: 'Attach to the role or group that runs npm run ops (list and redrive FAILED jobs)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Every alarm notifies this SNS topic' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}

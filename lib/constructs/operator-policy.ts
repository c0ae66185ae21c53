/**
 * What `npm run ops` needs on a deployed stack, as a managed policy a team attaches to its
 * operators' role or group (its ARN is the stack output OperatorPolicyArn): list FAILED jobs of
 * every owner (Query on the jobs table's byFailed index, BatchGetItem of the records found), read
 * and redrive a job (GetItem, UpdateItem) and send its message to its priority's queue
 * (SendMessage on the four job queues). Nothing else: no Scan, no other index, no delete, no
 * dead-letter queue, no workspaces table. No function of the stack gets it.
 */
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobPriority } from '../../lambdas/domain/job.ts';
import { JOBS_TABLE } from '../../lambdas/shared/resources.ts';

export interface OperatorPolicyProps {
  readonly jobsTable: Table;
  readonly bandQueues: Readonly<Record<JobPriority, Queue>>;
}

export class OperatorPolicy extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    this.policy = new ManagedPolicy(this, 'Policy', {
      description: 'npm run ops: list FAILED jobs (byFailed index) and redrive them',
      statements: [
        new PolicyStatement({ sid: 'ListFailedJobs', actions: ['dynamodb:Query'], resources: [`${props.jobsTable.tableArn}/index/${JOBS_TABLE.failedIndex.name}`] }),
        new PolicyStatement({
          sid: 'ReadAndRedriveJobs',
          actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
          resources: [props.jobsTable.tableArn],
        }),
        new PolicyStatement({ sid: 'SendRedrivenJobs', actions: ['sqs:SendMessage'], resources: Object.values(props.bandQueues).map((queue) => queue.queueArn) }),
      ],
    });
  }
}

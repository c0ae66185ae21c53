/**
 * The jobs table, shaped by JOBS_TABLE so the stack, the local runtime and the tests agree.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { TableAction } from '../../lambdas/api/routes.ts';
import { JOBS_TABLE } from '../../lambdas/shared/resources.ts';

export interface JobsTableProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** Every GSI of the table. */
export const JOBS_TABLE_INDEXES: readonly string[] = [JOBS_TABLE.ownerIndex.name, JOBS_TABLE.ownerUpdatedIndex.name, JOBS_TABLE.dueIndex.name];

/**
 * On-demand table with point-in-time recovery, TTL on finished jobs, AWS-managed KMS encryption,
 * and the `byOwner` (list a caller's jobs: keys and type), `byOwnerUpdated` (the same by last
 * status change: keys only) and sparse, sharded `byDue` (reconciler backlog: keys only) indexes.
 * `byOwner` is written once per job; `byOwnerUpdated` on status changes; `byDue` when the job's
 * dueAt moves or it finishes.
 */
export class JobsTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: JobsTableProps = {}) {
    super(scope, id);
    const { ownerIndex, ownerUpdatedIndex, dueIndex } = JOBS_TABLE;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: JOBS_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: JOBS_TABLE.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: ownerIndex.name,
      partitionKey: { name: ownerIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: ownerIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...ownerIndex.nonKeyAttributes],
    });
    this.table.addGlobalSecondaryIndex({
      indexName: ownerUpdatedIndex.name,
      partitionKey: { name: ownerUpdatedIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: ownerUpdatedIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: dueIndex.name,
      partitionKey: { name: dueIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: dueIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }

  /**
   * Grants exactly `actions` on the table; Query also on the named indexes (default: all), each
   * by its own ARN. Unlike `Table.grant`, no other action reaches the indexes.
   */
  grant(grantee: IGrantable, actions: readonly TableAction[], indexNames: readonly string[] = JOBS_TABLE_INDEXES): void {
    const unknown = indexNames.filter((name) => !JOBS_TABLE_INDEXES.includes(name));
    if (unknown.length > 0) throw new Error(`JobsTable has no index ${unknown.join(', ')}`);
    const { tableArn } = this.table;
    const itemActions = actions.filter((action) => action !== 'dynamodb:Query');
    if (itemActions.length > 0) {
      Grant.addToPrincipal({ grantee, actions: itemActions, resourceArns: [tableArn] });
    }
    if (actions.includes('dynamodb:Query')) {
      const indexArns = indexNames.map((name) => `${tableArn}/index/${name}`);
      Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [tableArn, ...indexArns] });
    }
  }
}

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
import { JOBS_TABLE, JOBS_TABLE_INDEX_NAMES, JOBS_TABLE_INDEXES } from '../../lambdas/shared/resources.ts';

export interface JobsTableProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * On-demand table with point-in-time recovery, TTL on finished jobs, AWS-managed KMS encryption,
 * and, all from JOBS_TABLE_INDEXES, the `byOwner` (list a caller's jobs: keys and type),
 * `byOwnerUpdated` (the same by last status change: keys only), sparse, sharded `byDue`
 * (reconciler backlog: keys only), sparse `byActive` (the quotas: keys and `type`) and sparse `byReuse`
 * (result reuse: keys and status) indexes. `byOwner` is written once per job, at create;
 * `byOwnerUpdated` on status changes; `byDue` when the job's dueAt moves, `byActive` when it
 * starts or stops being unfinished; `byReuse` once when a job of a reusable type finishes.
 */
export class JobsTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: JobsTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: JOBS_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: JOBS_TABLE.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of JOBS_TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        ...(index.sortKey ? { sortKey: { name: index.sortKey, type: AttributeType.STRING } } : {}),
        ...(index.projection === 'KEYS_ONLY'
          ? { projectionType: ProjectionType.KEYS_ONLY }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection.include] }),
      });
    }
  }

  /**
   * Grants exactly `actions` on the table; Query also on the named indexes (default: all), each
   * by its own ARN. Unlike `Table.grant`, no other action reaches the indexes.
   */
  grant(grantee: IGrantable, actions: readonly TableAction[], indexNames: readonly string[] = JOBS_TABLE_INDEX_NAMES): void {
    const unknown = indexNames.filter((name) => !(JOBS_TABLE_INDEX_NAMES as readonly string[]).includes(name));
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

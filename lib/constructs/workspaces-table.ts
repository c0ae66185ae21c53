/**
 * The workspaces table (issue 11), shaped by WORKSPACES_TABLE: workspaces and their memberships
 * in one partition per workspace, and the sparse `byPrincipal` index of memberships. A table of
 * its own so that each function is granted exactly what it reads: the job routes GetItem (the
 * caller's membership) and nothing of the workspace routes' writes; the workspace routes nothing
 * of the jobs but what deleting a workspace checks.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { WorkspacesTableAction } from '../../lambdas/api/routes.ts';
import { WORKSPACES_TABLE } from '../../lambdas/shared/resources.ts';

export interface WorkspacesTableProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** On-demand, point-in-time recovery, AWS-managed encryption, like the jobs table. */
export class WorkspacesTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: WorkspacesTableProps = {}) {
    super(scope, id);
    const { partitionKey, sortKey, principalIndex } = WORKSPACES_TABLE;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: principalIndex.name,
      partitionKey: { name: principalIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: principalIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }

  /**
   * Grants exactly `actions` on the table; Query on the `byPrincipal` index only with
   * `byPrincipal` (and then not on the table unless asked by a route that lists members).
   */
  grant(grantee: IGrantable, actions: readonly WorkspacesTableAction[], byPrincipal = false): void {
    const { tableArn } = this.table;
    const itemActions = actions.filter((action) => action !== 'dynamodb:Query');
    if (itemActions.length > 0) Grant.addToPrincipal({ grantee, actions: itemActions, resourceArns: [tableArn] });
    if (actions.includes('dynamodb:Query')) {
      const arns = byPrincipal ? [`${tableArn}/index/${WORKSPACES_TABLE.principalIndex.name}`] : [tableArn];
      Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: arns });
    }
  }
}

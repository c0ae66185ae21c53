import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { JOBS_TABLE, JOBS_TABLE_INDEX_NAMES } from '../../lambdas/shared/resources.ts';
import { synthDefaultStack, synthStack } from './support/synth.ts';

describe('jobs table', () => {
  const { template } = synthDefaultStack();
  /** The table has this global secondary index (among others). */
  const hasIndex = (index: Record<string, unknown>) =>
    template.hasResourceProperties('AWS::DynamoDB::Table', { GlobalSecondaryIndexes: Match.arrayWith([index]) });

  it('is keyed by the job id', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: JOBS_TABLE.partitionKey, KeyType: 'HASH' }],
    });
  });

  it('bills per request', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST' });
  });

  it('has point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('expires finished jobs through the TTL attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: JOBS_TABLE.ttlAttribute, Enabled: true },
    });
  });

  it('is encrypted with the AWS-managed KMS key', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true } });
  });

  const { ownerIndex, ownerUpdatedIndex, dueIndex, activeIndex, reuseIndex, failedIndex } = JOBS_TABLE;
  it.each([
    { what: 'jobs by owner, newest first, projecting only the type (written once per job)', index: ownerIndex, projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] } },
    { what: 'jobs by owner and last status change, keys only', index: ownerUpdatedIndex, projection: { ProjectionType: 'KEYS_ONLY' } },
    { what: 'unfinished jobs by due time over sharded keys, keys only', index: dueIndex, projection: { ProjectionType: 'KEYS_ONLY' } },
    { what: "each caller's unfinished jobs (the quotas) by owner and due time, projecting only the type", index: activeIndex, projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] } },
    { what: 'finished jobs of reusable types by reuse key and completion time, projecting only the status', index: reuseIndex, projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status'] } },
    { what: 'FAILED jobs of every owner by failure time over sharded keys (npm run ops), projecting only the type', index: failedIndex, projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] } },
  ])('indexes $what', ({ index, projection }) => {
    hasIndex({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: projection,
    });
  });

  it('has exactly the indexes the adapter and the local runtime know', () => {
    const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
    const names = (table?.Properties.GlobalSecondaryIndexes as { IndexName: string }[]).map((index) => index.IndexName);
    expect(names.sort()).toEqual([...JOBS_TABLE_INDEX_NAMES].sort());
  });

  it('is retained when the stack is deleted, by default', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('jobs table with retainData=false', () => {
  const { template } = synthStack({ retainData: 'false' });

  it('is deleted with the stack', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('deletes the log groups with the stack too', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) expect(group.DeletionPolicy).toBe('Delete');
  });
});

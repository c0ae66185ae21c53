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

  it('indexes jobs by owner, newest first, projecting only the type (written once per job)', () => {
    const { ownerIndex } = JOBS_TABLE;
    hasIndex({
      IndexName: ownerIndex.name,
      KeySchema: [
        { AttributeName: ownerIndex.partitionKey, KeyType: 'HASH' },
        { AttributeName: ownerIndex.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] },
    });
  });

  it('indexes unfinished jobs by due time over sharded keys, keys only', () => {
    const { dueIndex } = JOBS_TABLE;
    hasIndex({
      IndexName: dueIndex.name,
      KeySchema: [
        { AttributeName: dueIndex.partitionKey, KeyType: 'HASH' },
        { AttributeName: dueIndex.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it("indexes each caller's unfinished jobs (the quota) by owner and due time, keys only", () => {
    const { activeIndex } = JOBS_TABLE;
    hasIndex({
      IndexName: activeIndex.name,
      KeySchema: [
        { AttributeName: activeIndex.partitionKey, KeyType: 'HASH' },
        { AttributeName: activeIndex.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('indexes finished jobs of reusable types by reuse key and completion time, projecting only the status', () => {
    const { reuseIndex } = JOBS_TABLE;
    hasIndex({
      IndexName: reuseIndex.name,
      KeySchema: [
        { AttributeName: reuseIndex.partitionKey, KeyType: 'HASH' },
        { AttributeName: reuseIndex.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['status'] },
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

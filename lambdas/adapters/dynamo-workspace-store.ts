/**
 * WorkspaceStore on DynamoDB (WORKSPACES_TABLE): the workspace and its memberships in one
 * partition. Membership reads are strongly consistent GetItems, so a removed member is refused on
 * the very next request. The owner count lives on the workspace item and is changed before an
 * owner goes and after one comes (see WorkspaceStore), since the local engine has no transactions.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  ConcurrentMembershipError,
  WorkspaceOwnerRequiredError,
  type MemberChange,
  type Membership,
  type Workspace,
  type WorkspaceChanges,
  type WorkspaceStore,
} from '../domain/workspace.ts';
import { isConditionFailure } from './dynamo-errors.ts';
import { DynamoWorkspaceReader, memberKey, PK, toWorkspace, workspaceKey } from './dynamo-workspace-reader.ts';

/** The reads are DynamoWorkspaceReader's; the writes are here. */
export class DynamoWorkspaceStore extends DynamoWorkspaceReader implements WorkspaceStore {
  async create(workspace: Workspace, owner: Membership): Promise<void> {
    await this.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...workspaceKey(workspace.id), ...workspace, owners: 0 },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      }),
    );
    await this.putMembership(owner, { previous: undefined });
  }

  async update(workspaceId: string, changes: WorkspaceChanges, at: string): Promise<Workspace | undefined> {
    const names: Record<string, string> = { '#updatedAt': 'updatedAt', '#pk': PK };
    const values: Record<string, unknown> = { ':at': at };
    const sets = ['#updatedAt = :at'];
    let condition = 'attribute_exists(#pk)';
    if (changes.name !== undefined) {
      names['#name'] = 'name';
      values[':name'] = changes.name;
      sets.push('#name = :name');
    }
    if (changes.jobShards !== undefined) {
      // Never lowered: every job's entries stay in a shard a list reads.
      names['#jobShards'] = 'jobShards';
      values[':jobShards'] = changes.jobShards;
      sets.push('#jobShards = :jobShards');
      condition += ' AND (attribute_not_exists(#jobShards) OR #jobShards <= :jobShards)';
    }
    try {
      const { Attributes } = await this.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: workspaceKey(workspaceId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toWorkspace(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async delete(workspaceId: string): Promise<void> {
    // Members first, owners last, the workspace at the end: a delete cut short leaves an owner who can run it again.
    const members = await this.listMembers(workspaceId);
    const ordered = [...members.filter((m) => m.role !== 'owner'), ...members.filter((m) => m.role === 'owner')];
    for (const member of ordered) {
      await this.send(new DeleteCommand({ TableName: this.tableName, Key: memberKey(workspaceId, member.principalId) }));
    }
    await this.send(new DeleteCommand({ TableName: this.tableName, Key: workspaceKey(workspaceId) }));
  }

  async putMembership(membership: Membership, { previous }: MemberChange): Promise<void> {
    const losesOwner = previous?.role === 'owner' && membership.role !== 'owner';
    const gainsOwner = membership.role === 'owner' && previous?.role !== 'owner';
    if (losesOwner) await this.changeOwners(membership.workspaceId, -1);
    try {
      await this.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...memberKey(membership.workspaceId, membership.principalId), ...membership },
          ...asRead(previous),
        }),
      );
    } catch (error) {
      if (losesOwner) await this.changeOwners(membership.workspaceId, +1);
      if (isConditionFailure(error)) throw new ConcurrentMembershipError(membership.principalId);
      throw error;
    }
    if (gainsOwner) await this.changeOwners(membership.workspaceId, +1);
  }

  async removeMembership(previous: Membership): Promise<void> {
    const wasOwner = previous.role === 'owner';
    if (wasOwner) await this.changeOwners(previous.workspaceId, -1);
    try {
      await this.send(new DeleteCommand({ TableName: this.tableName, Key: memberKey(previous.workspaceId, previous.principalId), ...asRead(previous) }));
    } catch (error) {
      if (wasOwner) await this.changeOwners(previous.workspaceId, +1);
      if (isConditionFailure(error)) throw new ConcurrentMembershipError(previous.principalId);
      throw error;
    }
  }

  /** The owner count: +1, or -1 only while at least 2 remain (else WorkspaceOwnerRequiredError). */
  private async changeOwners(workspaceId: string, delta: 1 | -1): Promise<void> {
    try {
      await this.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: workspaceKey(workspaceId),
          UpdateExpression: 'ADD #owners :delta',
          ConditionExpression: delta < 0 ? 'attribute_exists(#pk) AND #owners >= :two' : 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#owners': 'owners', '#pk': PK },
          ExpressionAttributeValues: { ':delta': delta, ...(delta < 0 ? { ':two': 2 } : {}) },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error) && delta < 0) throw new WorkspaceOwnerRequiredError();
      if (!isConditionFailure(error)) throw error;
    }
  }
}

/** The write applies only to the membership as it was read: absent, or with the role it had. */
function asRead(previous: Membership | undefined): { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } {
  if (!previous) return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };
  return { ConditionExpression: '#role = :role', ExpressionAttributeNames: { '#role': 'role' }, ExpressionAttributeValues: { ':role': previous.role } };
}

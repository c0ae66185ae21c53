/**
 * WorkspaceStore on DynamoDB (WORKSPACES_TABLE): the workspace and its memberships in one
 * partition. Membership reads are strongly consistent GetItems, so a removed member is refused on
 * the very next request. The owner count lives on the workspace item and is changed before an
 * owner goes and after one comes (see WorkspaceStore), since the local engine has no transactions.
 */
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  ConcurrentMembershipError,
  WorkspaceOwnerRequiredError,
  type MemberChange,
  type Membership,
  type Workspace,
  type WorkspaceChanges,
  type WorkspaceRole,
  type WorkspaceStore,
} from '../domain/workspace.ts';
import { WORKSPACES_TABLE } from '../shared/resources.ts';
import { isConditionFailure, translate } from './dynamo-errors.ts';
import { createDocumentClient } from './dynamo-job-store.ts';

type Item = Record<string, unknown>;
const { partitionKey: PK, sortKey: SK, workspaceSortKey, memberSortKeyPrefix, principalIndex } = WORKSPACES_TABLE;
const workspaceKey = (workspaceId: string) => ({ [PK]: workspaceId, [SK]: workspaceSortKey });
const memberKey = (workspaceId: string, principalId: string) => ({ [PK]: workspaceId, [SK]: `${memberSortKeyPrefix}${principalId}` });

export class DynamoWorkspaceStore implements WorkspaceStore {
  private readonly client: DynamoDBDocumentClient;

  constructor(private readonly options: { readonly tableName: string; readonly client?: DynamoDBDocumentClient }) {
    this.client = options.client ?? createDocumentClient();
  }

  private get tableName(): string {
    return this.options.tableName;
  }

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

  async get(workspaceId: string): Promise<Workspace | undefined> {
    const { Item } = await this.send(new GetCommand({ TableName: this.tableName, Key: workspaceKey(workspaceId), ConsistentRead: true }));
    return Item ? toWorkspace(Item) : undefined;
  }

  async getMany(workspaceIds: readonly string[]): Promise<Workspace[]> {
    const found: Workspace[] = [];
    for (let start = 0; start < workspaceIds.length; start += 100) {
      let keys: Item[] = [...new Set(workspaceIds.slice(start, start + 100))].map(workspaceKey);
      for (let round = 0; keys.length > 0 && round < 5; round++) {
        const output = await this.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        found.push(...(output.Responses?.[this.tableName] ?? []).map(toWorkspace));
        keys = (output.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Item[];
      }
    }
    const byId = new Map(found.map((workspace) => [workspace.id, workspace]));
    return workspaceIds.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
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

  async jobShards(workspaceId: string): Promise<number> {
    const { Item } = await this.send(
      new GetCommand({
        TableName: this.tableName,
        Key: workspaceKey(workspaceId),
        ProjectionExpression: '#jobShards',
        ExpressionAttributeNames: { '#jobShards': 'jobShards' },
        ConsistentRead: true,
      }),
    );
    return shardsOf(Item);
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

  async getMembership(workspaceId: string, principalId: string): Promise<Membership | undefined> {
    const { Item } = await this.send(new GetCommand({ TableName: this.tableName, Key: memberKey(workspaceId, principalId), ConsistentRead: true }));
    return Item ? toMembership(Item) : undefined;
  }

  async listMembers(workspaceId: string): Promise<Membership[]> {
    return (
      await this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :member)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': workspaceId, ':member': memberSortKeyPrefix },
        ConsistentRead: true,
      })
    ).map(toMembership);
  }

  async listMemberships(principalId: string): Promise<Membership[]> {
    return (
      await this.queryAll({
        TableName: this.tableName,
        IndexName: principalIndex.name,
        KeyConditionExpression: '#principal = :principal',
        ExpressionAttributeNames: { '#principal': principalIndex.partitionKey },
        ExpressionAttributeValues: { ':principal': principalId },
      })
    ).map(toMembership);
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
      if (isConditionFailure(error) && delta < 0) throw new WorkspaceOwnerRequiredError('A workspace keeps at least one owner: make another member owner first');
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const output = await this.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...((output.Items ?? []) as Item[]));
      startKey = output.LastEvaluatedKey as Item | undefined;
    } while (startKey);
    return items;
  }

  /** One command, its SDK errors translated (throttling and 5xx: ServiceUnavailableError). */
  private async send(command: object): Promise<Output> {
    try {
      return (await this.client.send(command as never)) as Output;
    } catch (error) {
      throw translate(error);
    }
  }
}

/** What the commands used here answer, as far as this store reads it. */
interface Output {
  readonly Item?: Item;
  readonly Items?: Item[];
  readonly Attributes?: Item;
  readonly Responses?: Record<string, Item[]>;
  readonly UnprocessedKeys?: Record<string, { readonly Keys?: Item[] }>;
  readonly LastEvaluatedKey?: Item;
}

/** The write applies only to the membership as it was read: absent, or with the role it had. */
function asRead(previous: Membership | undefined): { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } {
  if (!previous) return { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };
  return { ConditionExpression: '#role = :role', ExpressionAttributeNames: { '#role': 'role' }, ExpressionAttributeValues: { ':role': previous.role } };
}

function toWorkspace(item: Item): Workspace {
  return {
    id: String(item.id),
    name: String(item.name),
    createdAt: String(item.createdAt),
    createdBy: String(item.createdBy),
    updatedAt: String(item.updatedAt),
    jobShards: shardsOf(item),
  };
}

/** A workspace's jobShards as stored; workspaces written before sharding have none: 1. */
function shardsOf(item: Item | undefined): number {
  return typeof item?.jobShards === 'number' && item.jobShards >= 1 ? item.jobShards : 1;
}

function toMembership(item: Item): Membership {
  return {
    workspaceId: String(item.workspaceId),
    principalId: String(item.principalId),
    role: item.role as WorkspaceRole,
    addedAt: String(item.addedAt),
    addedBy: String(item.addedBy),
  };
}

/**
 * The read side of the workspaces table (WORKSPACES_TABLE): a workspace, several, its jobShards, a
 * membership (a strongly consistent GetItem, so a removed member is refused on the very next
 * request), a workspace's members and a principal's memberships. The job routes check membership and
 * read jobShards with this class alone; DynamoWorkspaceStore (dynamo-workspace-store.ts) extends it
 * with the writes.
 */
import { BatchGetCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { JobShardCounts, Membership, Workspace, WorkspaceRole } from '../domain/workspace.ts';
import { WORKSPACES_TABLE } from '../shared/resources.ts';
import { translate } from './dynamo-errors.ts';
import { createDocumentClient } from './dynamo-job-reader.ts';

export type Item = Record<string, unknown>;
export const { partitionKey: PK, sortKey: SK, workspaceSortKey, memberSortKeyPrefix, principalIndex } = WORKSPACES_TABLE;
export const workspaceKey = (workspaceId: string) => ({ [PK]: workspaceId, [SK]: workspaceSortKey });
export const memberKey = (workspaceId: string, principalId: string) => ({ [PK]: workspaceId, [SK]: `${memberSortKeyPrefix}${principalId}` });

export class DynamoWorkspaceReader implements JobShardCounts {
  protected readonly client: DynamoDBDocumentClient;

  constructor(private readonly options: { readonly tableName: string; readonly client?: DynamoDBDocumentClient }) {
    this.client = options.client ?? createDocumentClient();
  }

  protected get tableName(): string {
    return this.options.tableName;
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

  protected async queryAll(input: QueryCommandInput): Promise<Item[]> {
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
  protected async send(command: object): Promise<Output> {
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

export function toWorkspace(item: Item): Workspace {
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

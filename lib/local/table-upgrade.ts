/**
 * Brings a jobs table in a data folder written by an earlier version up to JOBS_TABLE, on the
 * LevelDB files before dynalite serves (dynalite cannot add an index to a table): adds the
 * `byOwnerUpdated` index to the table's description and gives every record without one a
 * `statusChangedAt` (its updatedAt, the best guess for its last status change). The index
 * entries are then written by repairIndexes, which runs next.
 */
import { JOBS_TABLE } from '../../lambdas/shared/resources.ts';

type Callback = (error?: Error | null) => void;

interface Level {
  batch(ops: readonly { type: 'put'; key: string; value: unknown }[], callback: Callback): void;
  iterator(options?: Record<string, unknown>): AsyncIterable<[string, unknown]>;
}

interface StoredIndex {
  IndexName: string;
  [field: string]: unknown;
}

interface StoredTable {
  TableName: string;
  TableArn?: string;
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  GlobalSecondaryIndexes?: StoredIndex[];
}

export interface TableUpgradeReport {
  /** Tables that got the index. */
  readonly tables: number;
  /** Records that got a statusChangedAt. */
  readonly items: number;
}

export async function upgradeJobsTables(level: Level): Promise<TableUpgradeReport> {
  const { ownerIndex, ownerUpdatedIndex } = JOBS_TABLE;
  const report = { tables: 0, items: 0 };
  const tables: [string, StoredTable][] = [];
  for await (const [key, table] of level.iterator({ gte: 'table~', lt: 'table~\xff' })) tables.push([key, table as StoredTable]);
  for (const [key, table] of tables) {
    const indexes = table.GlobalSecondaryIndexes ?? [];
    const owner = indexes.find((index) => index.IndexName === ownerIndex.name);
    if (!owner || indexes.some((index) => index.IndexName === ownerUpdatedIndex.name)) continue;
    const ops: { type: 'put'; key: string; value: unknown }[] = [];
    const prefix = `item-${table.TableName}~`;
    for await (const [itemKey, value] of level.iterator({ gte: prefix, lt: `${prefix}\xff` })) {
      const item = value as Record<string, { S?: string }>;
      if (item[ownerUpdatedIndex.sortKey] || !item.updatedAt) continue;
      ops.push({ type: 'put', key: itemKey, value: { ...item, [ownerUpdatedIndex.sortKey]: item.updatedAt } });
      report.items++;
    }
    indexes.push({
      ...owner,
      IndexName: ownerUpdatedIndex.name,
      IndexArn: `${table.TableArn ?? ''}/index/${ownerUpdatedIndex.name}`,
      KeySchema: [
        { AttributeName: ownerUpdatedIndex.partitionKey, KeyType: 'HASH' },
        { AttributeName: ownerUpdatedIndex.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
    if (!table.AttributeDefinitions.some((definition) => definition.AttributeName === ownerUpdatedIndex.sortKey)) {
      table.AttributeDefinitions.push({ AttributeName: ownerUpdatedIndex.sortKey, AttributeType: 'S' });
    }
    ops.push({ type: 'put', key, value: { ...table, GlobalSecondaryIndexes: indexes } });
    report.tables++;
    for (let start = 0; start < ops.length; start += 1000) {
      const chunk = ops.slice(start, start + 1000);
      await new Promise<void>((resolve, reject) => level.batch(chunk, (error) => (error ? reject(error) : resolve())));
    }
  }
  return report;
}

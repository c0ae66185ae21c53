/**
 * Checks, through the DynamoDB API, that a table's global secondary indexes hold exactly what its
 * records say: one entry per record that has the index's key attributes, with the projected
 * attributes of the record, and no entry without a record behind it.
 */
import { DescribeTableCommand, ScanCommand, type DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';

type RawItem = Record<string, AttributeValue>;

async function scanAll(ddb: DynamoDBClient, tableName: string, indexName?: string): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let start: RawItem | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({ TableName: tableName, ...(indexName ? { IndexName: indexName } : {}), ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Stable text of an item (attribute order does not matter). */
const text = (item: RawItem) => JSON.stringify(Object.keys(item).sort().map((key) => [key, item[key]]));

export interface IndexProblem {
  readonly index: string;
  readonly id: string;
  readonly problem: string;
}

export async function indexProblems(ddb: DynamoDBClient, tableName: string): Promise<{ records: number; problems: IndexProblem[] }> {
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
  const hashKey = Table!.KeySchema!.find((key) => key.KeyType === 'HASH')!.AttributeName!;
  const records = new Map((await scanAll(ddb, tableName)).map((item) => [item[hashKey]!.S!, item]));
  const problems: IndexProblem[] = [];
  for (const index of Table!.GlobalSecondaryIndexes ?? []) {
    const name = index.IndexName!;
    const keys = index.KeySchema!.map((key) => key.AttributeName!);
    const projection = index.Projection!;
    const project = (record: RawItem): RawItem => {
      if (projection.ProjectionType === 'ALL') return record;
      const wanted = new Set([hashKey, ...keys, ...(projection.NonKeyAttributes ?? [])]);
      return Object.fromEntries(Object.entries(record).filter(([attribute]) => wanted.has(attribute)));
    };
    const seen = new Map<string, number>();
    for (const entry of await scanAll(ddb, tableName, name)) {
      const id = entry[hashKey]!.S!;
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const record = records.get(id);
      if (!record) problems.push({ index: name, id, problem: 'entry without a record' });
      else if (!keys.every((key) => record[key] !== undefined)) problems.push({ index: name, id, problem: 'entry for a record without the index key' });
      else if (text(project(record)) !== text(entry)) problems.push({ index: name, id, problem: 'entry differs from the record' });
    }
    for (const [id, record] of records) {
      const expected = keys.every((key) => record[key] !== undefined) ? 1 : 0;
      const count = seen.get(id) ?? 0;
      if (expected === 1 && count === 0) problems.push({ index: name, id, problem: 'record missing from the index' });
      if (count > 1) problems.push({ index: name, id, problem: `${count} entries for one record` });
    }
  }
  return { records: records.size, problems };
}

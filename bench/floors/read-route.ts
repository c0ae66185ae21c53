/**
 * The floor a read route is measured against (bench/bundles.ts): one GetItem through lib-dynamodb,
 * and nothing else. Bundled exactly as the stack bundles a route's function.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const tableName = process.env.JOBS_TABLE_NAME;

export const handler = async (event: { pathParameters?: Record<string, string> }) => {
  const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { pk: event.pathParameters?.id } }));
  return { statusCode: Item ? 200 : 404, body: JSON.stringify(Item ?? {}) };
};

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
const d = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => { await d.send(new GetCommand({ TableName: 'x', Key: {} })); return (await import('./s3b.ts')).get(); };

/**
 * The floor the worker is measured against (bench/bundles.ts): the DynamoDB (through lib-dynamodb),
 * SQS and Bedrock Runtime clients alone, each used once, bundled exactly as the stack bundles the worker.
 */
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});
const bedrock = new BedrockRuntimeClient({});

export const handler = async (event: { Records: { body: string; receiptHandle: string }[] }) => {
  for (const record of event.Records) {
    const { id } = JSON.parse(record.body) as { id: string };
    const reply = await bedrock.send(new ConverseCommand({ modelId: 'floor', messages: [{ role: 'user', content: [{ text: id }] }] }));
    await documents.send(new UpdateCommand({ TableName: 'floor', Key: { pk: id }, UpdateExpression: 'SET r = :r', ExpressionAttributeValues: { ':r': reply.output } }));
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: 'floor', ReceiptHandle: record.receiptHandle, VisibilityTimeout: 0 }));
  }
  return { batchItemFailures: [] };
};

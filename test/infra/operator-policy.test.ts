/**
 * The operators' managed policy (lib/constructs/operator-policy.ts): exactly what `npm run ops`
 * calls on a deployed stack. The command's list and redrive run against the SDK mocked, every call
 * is recorded, and each must be allowed by the synthesized policy; the policy allows nothing the
 * command does not call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { JOB_PRIORITIES, type JobPriority } from '../../lambdas/domain/job.ts';
import { JOBS_TABLE, STACK_OUTPUTS } from '../../lambdas/shared/resources.ts';
import { runOps } from '../../lib/ops/command.ts';
import { JOB_ID, jobItem } from '../support/items.ts';
import { logicalId, synthDefaultStack } from './support/synth.ts';

const { stack, template } = synthDefaultStack();
const tableId = logicalId(stack.jobsTable.table);
const queueIds = Object.fromEntries(JOB_PRIORITIES.map((band) => [logicalId(stack.queues.bandQueues[band]), band])) as Record<string, JobPriority>;

/** A statement's resource, named as the command's calls are: `table`, `index/<name>`, `queue/<band>`. */
function resourceName(resource: unknown): string {
  const json = JSON.stringify(resource);
  if (json === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] })) return 'table';
  const index = /"\/index\/([^"]+)"/.exec(json);
  if (index && json.includes(`"${tableId}"`)) return `index/${index[1]}`;
  for (const [id, band] of Object.entries(queueIds)) if (json === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })) return `queue/${band}`;
  return `unknown ${json}`;
}

/** What the policy allows, as `action on resource`. */
function allowed(): Set<string> {
  const document = template.findResources('AWS::IAM::ManagedPolicy')[logicalId(stack.operators.policy)]!.Properties.PolicyDocument;
  return new Set(
    (document.Statement as { Effect: string; Action: string | string[]; Resource: unknown }[]).flatMap((statement) => {
      expect(statement.Effect).toBe('Allow');
      return [statement.Action].flat().flatMap((action) => [statement.Resource].flat().map((resource) => `${action} on ${resourceName(resource)}`));
    }),
  );
}

describe('the operators’ policy', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ops-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a managed policy attached to nothing, whose ARN the stack outputs', () => {
    const policy = template.findResources('AWS::IAM::ManagedPolicy')[logicalId(stack.operators.policy)]!.Properties;
    for (const attachment of ['Roles', 'Users', 'Groups']) expect(policy[attachment], attachment).toBeUndefined();
    expect(template.findOutputs('OperatorPolicyArn').OperatorPolicyArn?.Value).toEqual({ Ref: logicalId(stack.operators.policy) });
  });

  it('allows every call `npm run ops` list and redrive make, and nothing else', async () => {
    const TABLE = 'jobs-table';
    const queueUrl = (band: JobPriority) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${band}`;
    const outputs = path.join(dir, 'outputs.json');
    writeFileSync(outputs, JSON.stringify({ JobsStack: { [STACK_OUTPUTS.table]: TABLE, ...Object.fromEntries(JOB_PRIORITIES.map((band) => [STACK_OUTPUTS.queues[band], queueUrl(band)])) } }));

    const failed = jobItem({ status: 'FAILED', attempts: 3, completedAt: '2026-11-27T11:00:00.000Z', error: 'Bedrock API error', runId: 'run-1', dueAt: undefined, dueShard: undefined });
    const documents = mockClient(DynamoDBDocumentClient);
    const sqs = mockClient(SQSClient);
    documents.on(QueryCommand).callsFake((input) => ({ Items: input.ExpressionAttributeValues[':shard'] === 'failed-00' ? [{ id: JOB_ID, failedShard: 'failed-00', completedAt: failed.completedAt, type: 'AI_PREVIEW' }] : [] }));
    documents.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [failed] } });
    documents.on(GetCommand).resolves({ Item: failed });
    let conflict = false;
    documents.on(UpdateCommand).callsFake(() => {
      if (conflict) throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      return { Attributes: jobItem({ status: 'PENDING', generation: 1, runId: 'run-2' }) };
    });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'message-1' });
    try {
      let errors = '';
      const io = { out: () => {}, err: (text: string) => void (errors += text) };
      const now = new Date('2026-11-27T12:00:00.000Z');
      expect(await runOps(['list', '--outputs', outputs, '--region', 'eu-west-1'], {}, io, now)).toBe(0);
      expect(await runOps(['redrive', '--outputs', outputs, '--region', 'eu-west-1'], {}, io, now)).toBe(0);
      // A job that changed between the read and the write: the command reads it again to say how.
      conflict = true;
      expect(await runOps(['redrive', '--id', JOB_ID, '--outputs', outputs, '--region', 'eu-west-1'], {}, io, now), errors).toBe(0);

      const calls = [
        ...documents.commandCalls(QueryCommand).map((call) => `dynamodb:Query on index/${call.args[0].input.IndexName}`),
        ...documents.commandCalls(BatchGetCommand).map(() => 'dynamodb:BatchGetItem on table'),
        ...documents.commandCalls(GetCommand).map(() => 'dynamodb:GetItem on table'),
        ...documents.commandCalls(UpdateCommand).map(() => 'dynamodb:UpdateItem on table'),
        ...sqs.commandCalls(SendMessageCommand).map((call) => `sqs:SendMessage on queue/${call.args[0].input.QueueUrl!.split('/').pop()}`),
      ];
      // Every call the SDK was asked to make is one of those kinds.
      expect(documents.calls().length + sqs.calls().length).toBe(calls.length);
      expect(calls).toContain(`dynamodb:Query on index/${JOBS_TABLE.failedIndex.name}`);
      expect(calls).toContain('sqs:SendMessage on queue/normal');
      const policy = allowed();
      for (const call of new Set(calls)) expect(policy.has(call), call).toBe(true);
      // Nothing more than the calls, and the queues of every band (a redriven job goes to its own).
      const needed = new Set([...calls.filter((call) => !call.startsWith('sqs:')), ...JOB_PRIORITIES.map((band) => `sqs:SendMessage on queue/${band}`)]);
      expect([...policy].sort()).toStrictEqual([...needed].sort());
    } finally {
      documents.restore();
      sqs.restore();
    }
  });
});

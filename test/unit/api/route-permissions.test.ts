/**
 * Each route's handler calls only the DynamoDB actions its route is granted in the route table
 * (from which the stack builds its IAM policy), on the paths that need the most: chained creates,
 * failed sends, cancels and retries. A handler that needs more would get AccessDenied in AWS.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROUTES, type RouteName } from '../../../lambdas/api/routes.ts';
import { apiEvent, invoke, type ApiHandler } from '../../support/api-events.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const ID = '550e8400-e29b-41d4-a716-446655440000';
const SOURCE = '550e8400-e29b-41d4-a716-446655440001';

const ACTION_OF: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  QueryCommand: 'dynamodb:Query',
  BatchGetCommand: 'dynamodb:BatchGetItem',
};

const job = (overrides: Record<string, unknown> = {}) => ({
  id: ID, ownerId: 'user-a', type: 'PARSE_DOCUMENT', status: 'COMPLETED', input: { text: 'x' }, result: { title: 't' },
  attempts: 1, maxAttempts: 3, createdAt: '2026-03-04T12:00:00.000Z', updatedAt: '2026-03-04T12:00:00.000Z', ...overrides,
});

async function handlerOf(name: RouteName): Promise<ApiHandler> {
  const route = ROUTES.find((candidate) => candidate.name === name)!;
  return ((await import(`../../../${route.entry}`)) as { handler: ApiHandler }).handler;
}

function usedActions(): string[] {
  return [...new Set(ddb.calls().map((call) => ACTION_OF[(call.args[0] as object).constructor.name] ?? 'unknown'))].sort();
}

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  // Every send fails, so the routes that enqueue take their fallback path too.
  sqs.on(SendMessageCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
  ddb.on(PutCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [{ id: ID, ownerId: 'user-a', createdAt: '2026-03-04T12:00:00.000Z', type: 'PARSE_DOCUMENT' }] });
  ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, unknown> }) => ({
    Responses: { [Object.keys(input.RequestItems)[0]!]: [job()] },
  }));
});

const scenarios: { name: RouteName; prepare(): void; event: () => ReturnType<typeof apiEvent>; expected: number }[] = [
  {
    name: 'create-job',
    prepare: () => {
      ddb.on(GetCommand).resolves({ Item: job({ id: SOURCE }) });
      ddb.on(UpdateCommand).resolves({ Attributes: job({ status: 'PENDING' }) });
    },
    event: () => apiEvent({ method: 'POST', path: '/api/jobs', sub: 'user-a', body: { type: 'RISK_ANALYSIS', input: { sourceJobIds: [SOURCE] } } }),
    expected: 202,
  },
  { name: 'get-job', prepare: () => ddb.on(GetCommand).resolves({ Item: job() }), event: () => apiEvent({ method: 'GET', path: `/api/jobs/${ID}`, pathParameters: { id: ID }, sub: 'user-a' }), expected: 200 },
  { name: 'get-job-result', prepare: () => ddb.on(GetCommand).resolves({ Item: job() }), event: () => apiEvent({ method: 'GET', path: `/api/jobs/${ID}/result`, pathParameters: { id: ID }, sub: 'user-a' }), expected: 200 },
  { name: 'list-jobs', prepare: () => {}, event: () => apiEvent({ method: 'GET', path: '/api/jobs', sub: 'user-a', query: { limit: '1' } }), expected: 200 },
  {
    name: 'cancel-job',
    prepare: () => {
      ddb.on(GetCommand).resolves({ Item: job({ status: 'PROCESSING', runId: 'r' }) });
      ddb.on(UpdateCommand).resolves({ Attributes: job({ status: 'CANCELLED' }) });
    },
    event: () => apiEvent({ method: 'POST', path: `/api/jobs/${ID}/cancel`, pathParameters: { id: ID }, sub: 'user-a' }),
    expected: 200,
  },
  {
    name: 'retry-job',
    prepare: () => {
      ddb.on(GetCommand).resolves({ Item: job({ status: 'FAILED' }) });
      ddb.on(UpdateCommand).resolves({ Attributes: job({ status: 'PENDING', generation: 1 }) });
    },
    event: () => apiEvent({ method: 'POST', path: `/api/jobs/${ID}/retry`, pathParameters: { id: ID }, sub: 'user-a' }),
    expected: 202,
  },
];

describe('route permissions', () => {
  it('cover every route', () => {
    expect(scenarios.map((s) => s.name).sort()).toEqual(ROUTES.map((route) => route.name).sort());
  });

  it.each(scenarios)('$name calls only the DynamoDB actions its route is granted', async (scenario) => {
    scenario.prepare();
    const response = await invoke(await handlerOf(scenario.name), scenario.event());
    expect(response.status).toBe(scenario.expected);
    const granted = ROUTES.find((route) => route.name === scenario.name)!.access.table;
    const used = usedActions();
    expect(used.length).toBeGreaterThan(0);
    for (const action of used) expect(granted).toContain(action);
  });
});

/**
 * Each route's handler calls only the DynamoDB actions and payload-bucket actions (by key prefix)
 * its route is granted in the route table (from which the stack builds its IAM policy), on the
 * paths that need the most: chained creates with large inputs, failed sends, large results,
 * cancels and retries. A handler that needs more would get AccessDenied in AWS.
 */
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROUTES, workspaceRouteNames, type RouteAccess, type RouteName } from '../../../lambdas/api/routes.ts';
import { apiEvent, invoke, type ApiHandler } from '../../support/api-events.ts';
import { JOB_ID, jobItem } from '../../support/items.ts';
import { reuseKeyOf } from '../../../lambdas/domain/fingerprints.ts';

const WORKSPACE_ROUTE_NAMES = new Set<string>(workspaceRouteNames());

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);
const ID = JOB_ID;
const SOURCE = '550e8400-e29b-41d4-a716-446655440001';
const RESULT = JSON.stringify({ title: 'a stored result' });
const RESULT_REF = { key: `results/${ID}/0.json`, bytes: RESULT.length, sha256: createHash('sha256').update(RESULT).digest('hex') };

const ACTION_OF: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  QueryCommand: 'dynamodb:Query',
  BatchGetCommand: 'dynamodb:BatchGetItem',
};

const job = (overrides: Record<string, unknown> = {}) =>
  jobItem({ type: 'PARSE_DOCUMENT', status: 'COMPLETED', input: { text: 'x' }, result: { title: 't' }, attempts: 1, dueAt: undefined, dueShard: undefined, ...overrides });

async function handlerOf(name: RouteName): Promise<ApiHandler> {
  const route = ROUTES.find((candidate) => candidate.name === name)!;
  return ((await import(`../../../${route.entry}`)) as { handler: ApiHandler }).handler;
}

function usedActions(): string[] {
  return [...new Set(ddb.calls().map((call) => ACTION_OF[(call.args[0] as object).constructor.name] ?? 'unknown'))].sort();
}

/** GetObject's answer: a body the adapter reads with transformToByteArray. */
const storedResult = () => ({ Body: { transformToByteArray: async () => new TextEncoder().encode(RESULT) } as never });

/** `s3:GetObject inputs/` for a GetObject of `inputs/<id>/input.json`. */
function usedObjectActions(): string[] {
  const prefix = (key: string | undefined) => key?.split('/')[0] ?? '?';
  const used = s3.calls().flatMap((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: { Key?: string; CopySource?: string } };
    switch (command.constructor.name) {
      case 'GetObjectCommand':
      case 'HeadObjectCommand':
        return [`s3:GetObject ${prefix(command.input.Key)}`];
      case 'PutObjectCommand':
        return [`s3:PutObject ${prefix(command.input.Key)}`];
      case 'CopyObjectCommand':
        // The source is `<bucket>/<key>`: GetObject on it, PutObject on the target.
        return [`s3:GetObject ${prefix(command.input.CopySource?.split('/').slice(1).join('/'))}`, `s3:PutObject ${prefix(command.input.Key)}`];
      default:
        return [`unknown ${command.constructor.name}`];
    }
  });
  return [...new Set(used)].sort();
}

/**
 * A presigned URL is signed locally (no S3 call the mock sees): using it takes PutObject on its
 * key, with the credentials of the function that signed it.
 */
function presignedActions(body: { url?: unknown } | undefined): string[] {
  if (typeof body?.url !== 'string') return [];
  const key = decodeURIComponent(new URL(body.url).pathname).split('/').filter(Boolean);
  // Virtual-hosted style (the default outside local engines): the path is the key.
  return [`s3:PutObject ${key[0] === 'jobs-unit-payloads' ? key[1] : key[0]}`];
}

/** An upload id for a 2,000-byte PDF, and HeadObject answering that it is there. */
const UPLOAD_ID = '0b9e5a4c-6d2f-4f43-9a51-3f1e2d7c8b90.2000';
const uploaded = () => {
  s3.on(HeadObjectCommand).resolves({ ContentLength: 2000, ContentType: 'application/pdf' });
  s3.on(CopyObjectCommand).resolves({});
};

/** Every mock's default answer: each scenario's prepare() adds what it needs. */
function defaults(): void {
  ddb.reset();
  sqs.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).callsFake(storedResult);
  // Every send fails, so the routes that enqueue take their fallback path too.
  sqs.on(SendMessageCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
  ddb.on(PutCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [{ id: ID, ownerId: 'user-a', createdAt: '2026-03-04T12:00:00.000Z', type: 'PARSE_DOCUMENT' }] });
  ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, unknown> }) => ({
    Responses: { [Object.keys(input.RequestItems)[0]!]: [job()] },
  }));
}

beforeEach(defaults);

const scenarios: { name: RouteName; prepare(): void; event: () => ReturnType<typeof apiEvent>; expected: number }[] = [
  {
    name: 'create-job',
    prepare: () => {
      ddb.on(GetCommand).resolves({ Item: job({ id: SOURCE }) });
      ddb.on(UpdateCommand).resolves({ Attributes: job({ status: 'PENDING' }) });
    },
    // Chained, over the inline limit (the input is stored as an object too), under an
    // Idempotency-Key (its record read and written), counted against the quota (byActive).
    event: () =>
      apiEvent({
        method: 'POST',
        path: '/api/jobs',
        sub: 'user-a',
        headers: { 'Idempotency-Key': 'create-1' },
        body: { type: 'GAP_DETECTION', input: { sourceJobIds: [SOURCE], question: 'q'.repeat(1500) } },
      }),
    expected: 202,
  },
  {
    name: 'create-job',
    // A reusable result stored as an object: found on byReuse, read, and copied to the new job.
    prepare: () => {
      const completedAt = new Date().toISOString();
      const reuseKey = reuseKeyOf('user-a', 'PARSE_DOCUMENT', { text: 'x' });
      ddb.on(QueryCommand).resolves({ Items: [{ id: SOURCE, reuseKey, completedAt, status: 'COMPLETED' }] });
      ddb.on(GetCommand).resolves({ Item: job({ id: SOURCE, result: undefined, resultRef: RESULT_REF, reuseKey, completedAt }) });
      s3.on(CopyObjectCommand).resolves({});
    },
    event: () =>
      apiEvent({ method: 'POST', path: '/api/jobs', sub: 'user-a', body: { type: 'PARSE_DOCUMENT', input: { text: 'x' }, reuse: { maxAgeSeconds: 60 } } }),
    expected: 201,
  },
  {
    name: 'create-job',
    prepare: uploaded,
    // An uploaded document: checked and copied to the job.
    event: () =>
      apiEvent({ method: 'POST', path: '/api/jobs', sub: 'user-a', body: { type: 'PARSE_DOCUMENT', input: { document: { uploadId: UPLOAD_ID, format: 'pdf' } } } }),
    expected: 202,
  },
  {
    name: 'create-upload',
    prepare: () => {},
    event: () => apiEvent({ method: 'POST', path: '/api/uploads', sub: 'user-a', body: { name: 'plan.pdf', contentType: 'application/pdf', size: 2000 } }),
    expected: 201,
  },
  {
    name: 'get-job',
    prepare: () => ddb.on(GetCommand).resolves({ Item: job({ result: undefined, resultRef: RESULT_REF }) }),
    event: () => apiEvent({ method: 'GET', path: `/api/jobs/${ID}`, pathParameters: { id: ID }, sub: 'user-a' }),
    expected: 200,
  },
  {
    name: 'get-job-status',
    prepare: () => ddb.on(GetCommand).resolves({ Item: job({ result: undefined, resultRef: RESULT_REF }) }),
    event: () => apiEvent({ method: 'GET', path: `/api/jobs/${ID}/status`, pathParameters: { id: ID }, sub: 'user-a' }),
    expected: 200,
  },
  {
    name: 'get-job-result',
    prepare: () => ddb.on(GetCommand).resolves({ Item: job({ result: undefined, resultRef: RESULT_REF }) }),
    event: () => apiEvent({ method: 'GET', path: `/api/jobs/${ID}/result`, pathParameters: { id: ID }, sub: 'user-a' }),
    expected: 200,
  },
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
    event: () =>
      apiEvent({ method: 'POST', path: `/api/jobs/${ID}/retry`, pathParameters: { id: ID }, sub: 'user-a', headers: { 'Idempotency-Key': 'retry-1' } }),
    expected: 202,
  },
];

describe('route permissions', () => {
  // The workspace routes have their own scenarios (workspace-route-permissions.test.ts).
  const personal = ROUTES.filter((route) => !WORKSPACE_ROUTE_NAMES.has(route.name));

  it('cover every route but the workspace ones', () => {
    expect([...new Set(scenarios.map((s) => s.name))].sort()).toEqual(personal.map((route) => route.name).sort());
  });

  it.each(scenarios)('$name calls only the DynamoDB and payload actions its route is granted', async (scenario) => {
    scenario.prepare();
    const response = await invoke(await handlerOf(scenario.name), scenario.event());
    expect(response.status).toBe(scenario.expected);
    const objectActions = [...usedObjectActions(), ...presignedActions(response.json)];
    const access: RouteAccess = ROUTES.find((route) => route.name === scenario.name)!.access;
    const used = usedActions();
    expect(used.length + objectActions.length).toBeGreaterThan(0);
    for (const action of used) expect(access.table).toContain(action);
    // Personal jobs: no membership to read (GET /api/jobs/{id} reads one only for a workspace job).
    expect(ddb.calls().every((call) => (call.args[0].input as { TableName?: string }).TableName !== process.env.WORKSPACES_TABLE_NAME)).toBe(true);
    for (const call of ddb.commandCalls(QueryCommand)) expect(access.indexes ?? []).toContain(call.args[0].input.IndexName);
    const grantedObjects = Object.entries(access.payloads ?? {}).flatMap(([prefix, actions]) => (actions ?? []).map((action) => `${action} ${prefix}`));
    for (const action of objectActions) expect(grantedObjects).toContain(action);
  });

  it('exercise every payload grant of the route table (a grant no scenario uses is unproven)', async () => {
    const exercised = new Set<string>();
    for (const scenario of scenarios) {
      defaults();
      scenario.prepare();
      const response = await invoke(await handlerOf(scenario.name), scenario.event());
      expect(response.status).toBe(scenario.expected);
      for (const action of [...usedObjectActions(), ...presignedActions(response.json)]) exercised.add(`${scenario.name} ${action}`);
    }
    const granted = personal.flatMap((route) =>
      Object.entries((route.access as RouteAccess).payloads ?? {}).flatMap(([prefix, actions]) =>
        (actions ?? []).map((action) => `${route.name} ${action} ${prefix}`),
      ),
    );
    expect([...exercised].sort()).toEqual(granted.sort());
  });
});

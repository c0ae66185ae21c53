/**
 * Each workspace route's handler (and GET /api/jobs/{id} on a workspace job) calls only the
 * DynamoDB actions its route is granted, on the table it is granted them on (the jobs table:
 * `access.table`, the workspaces table: `access.workspaces`, Query on `byPrincipal` only with
 * `workspacesByPrincipal`), and the payload actions by prefix; and every grant on the workspaces
 * table is used by some scenario (a grant nobody uses would be more than least privilege).
 */
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROUTES, workspaceRouteNames, type RouteAccess, type RouteName } from '../../../lambdas/api/routes.ts';
import { reuseKeyOf } from '../../../lambdas/domain/fingerprints.ts';
import { workspaceOwnerKey } from '../../../lambdas/domain/workspace.ts';
import { WORKSPACES_TABLE } from '../../../lambdas/shared/resources.ts';
import { apiEvent, invoke, type ApiHandler } from '../../support/api-events.ts';
import { JOB_ID, jobItem } from '../../support/items.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);
const WID = '7d0b6f8e-3c1a-4e2b-9f5d-0a1b2c3d4e5f';
const SOURCE = '550e8400-e29b-41d4-a716-446655440001';
const OWNER_KEY = workspaceOwnerKey(WID);
const JOBS_TABLE_NAME = process.env.JOBS_TABLE_NAME!;
const WORKSPACES_TABLE_NAME = process.env.WORKSPACES_TABLE_NAME!;
const RESULT = JSON.stringify({ title: 'a stored result' });
const RESULT_REF = { key: `results/${JOB_ID}/0.json`, bytes: RESULT.length, sha256: createHash('sha256').update(RESULT).digest('hex') };
const UPLOAD_ID = '0b9e5a4c-6d2f-4f43-9a51-3f1e2d7c8b90.2000';
const ACTION_OF: Record<string, string> = {
  GetCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  BatchGetCommand: 'dynamodb:BatchGetItem',
};

const job = (overrides: Record<string, unknown> = {}) =>
  jobItem({
    ownerId: OWNER_KEY, workspaceId: WID, createdBy: 'user-a', type: 'PARSE_DOCUMENT', status: 'COMPLETED', input: { text: 'x' },
    result: undefined, resultRef: RESULT_REF, attempts: 1, dueAt: undefined, dueShard: undefined, ...overrides,
  });
const membership = (principalId: string, role: string) => ({
  [WORKSPACES_TABLE.partitionKey]: WID, [WORKSPACES_TABLE.sortKey]: `MEMBER#${principalId}`, workspaceId: WID, principalId, role, addedAt: '2026-03-04T12:00:00.000Z', addedBy: 'user-a',
});
const workspace = { [WORKSPACES_TABLE.partitionKey]: WID, [WORKSPACES_TABLE.sortKey]: 'WORKSPACE', id: WID, name: 'Team', createdAt: 'x', createdBy: 'user-a', updatedAt: 'x', owners: 2 };

/** The principals of the workspace: user-a owner, user-b owner too (so either may go). */
const MEMBERS: Record<string, Record<string, unknown>> = { 'user-a': membership('user-a', 'owner'), 'user-b': membership('user-b', 'owner') };

/** Answers by table: the workspaces table's membership and workspace items, the jobs table's `jobFound`. */
function tables(jobFound: Record<string, unknown> | undefined = job(), jobsListed: Record<string, unknown>[] = [{ id: JOB_ID, ownerId: OWNER_KEY, createdAt: 'x', type: 'PARSE_DOCUMENT' }]): void {
  ddb.on(GetCommand).callsFake((input: { TableName: string; Key: Record<string, string> }) => {
    if (input.TableName !== WORKSPACES_TABLE_NAME) return { Item: jobFound };
    const sk = input.Key[WORKSPACES_TABLE.sortKey]!;
    return { Item: sk === 'WORKSPACE' ? workspace : MEMBERS[sk.replace('MEMBER#', '')] };
  });
  ddb.on(QueryCommand).callsFake((input: { TableName: string }) =>
    input.TableName === WORKSPACES_TABLE_NAME ? { Items: Object.values(MEMBERS) } : { Items: jobsListed },
  );
  ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, unknown> }) => {
    const table = Object.keys(input.RequestItems)[0]!;
    return { Responses: { [table]: [table === WORKSPACES_TABLE_NAME ? workspace : job()] } };
  });
}

function defaults(): void {
  ddb.reset();
  sqs.reset();
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
  s3.on(GetObjectCommand).callsFake(() => ({ Body: { transformToByteArray: async () => new TextEncoder().encode(RESULT) } as never }));
  s3.on(HeadObjectCommand).resolves({ ContentLength: 2000, ContentType: 'application/pdf' });
  s3.on(CopyObjectCommand).resolves({});
  sqs.on(SendMessageCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
  ddb.on(PutCommand).resolves({});
  ddb.on(DeleteCommand).resolves({});
  ddb.on(UpdateCommand).callsFake((input: { TableName: string }) => ({ Attributes: input.TableName === WORKSPACES_TABLE_NAME ? workspace : job({ status: 'PENDING' }) }));
  tables();
}
beforeEach(defaults);

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, path: string, extra: Partial<Parameters<typeof apiEvent>[0]> = {}) => () =>
  apiEvent({ method, path, sub: 'user-a', ...extra, pathParameters: { wid: WID, ...extra.pathParameters } });
const jobPath = (suffix = '') => `/api/workspaces/${WID}/jobs/${JOB_ID}${suffix}`;
const withId = { pathParameters: { wid: WID, id: JOB_ID } };

const scenarios: { name: RouteName; what: string; prepare(): void; event: () => ReturnType<typeof apiEvent>; expected: number }[] = [
  { name: 'get-me', what: 'no AWS call', prepare: () => {}, event: call('GET', '/api/me'), expected: 200 },
  { name: 'create-workspace', what: 'workspace, owner, owner count', prepare: () => {}, event: call('POST', '/api/workspaces', { body: { name: 'Team' } }), expected: 201 },
  { name: 'list-workspaces', what: 'byPrincipal, names', prepare: () => {}, event: call('GET', '/api/workspaces'), expected: 200 },
  { name: 'get-workspace', what: 'membership, workspace', prepare: () => {}, event: call('GET', `/api/workspaces/${WID}`), expected: 200 },
  { name: 'update-workspace', what: 'rename', prepare: () => {}, event: call('PATCH', `/api/workspaces/${WID}`, { body: { name: 'New' } }), expected: 200 },
  { name: 'delete-workspace', what: 'empty: members and workspace deleted', prepare: () => tables(job(), []), event: call('DELETE', `/api/workspaces/${WID}`), expected: 200 },
  { name: 'delete-workspace', what: 'holds a job: 409', prepare: () => {}, event: call('DELETE', `/api/workspaces/${WID}`), expected: 409 },
  { name: 'list-members', what: 'members', prepare: () => {}, event: call('GET', `/api/workspaces/${WID}/members`), expected: 200 },
  {
    name: 'put-member',
    what: 'a new owner: membership and owner count',
    prepare: () => {},
    event: call('PUT', `/api/workspaces/${WID}/members/user-c`, { pathParameters: { wid: WID, principalId: 'user-c' }, body: { role: 'owner' } }),
    expected: 201,
  },
  {
    name: 'remove-member',
    what: 'an owner: owner count, then the membership',
    prepare: () => {},
    event: call('DELETE', `/api/workspaces/${WID}/members/user-b`, { pathParameters: { wid: WID, principalId: 'user-b' } }),
    expected: 200,
  },
  {
    name: 'workspace-create-job',
    what: 'chained, large input, keyed, quota',
    prepare: () => tables(job({ id: SOURCE, status: 'COMPLETED' }), [{ id: JOB_ID, ownerId: OWNER_KEY, dueAt: 'x', type: 'PARSE_DOCUMENT' }]),
    event: call('POST', `/api/workspaces/${WID}/jobs`, {
      headers: { 'Idempotency-Key': 'create-1' },
      body: { type: 'GAP_DETECTION', input: { sourceJobIds: [SOURCE], question: 'q'.repeat(1500) } },
    }),
    expected: 202,
  },
  {
    name: 'workspace-create-job',
    what: 'a reused stored result',
    prepare: () => {
      const completedAt = new Date().toISOString();
      const reuseKey = reuseKeyOf(OWNER_KEY, 'PARSE_DOCUMENT', { text: 'x' });
      tables(job({ id: SOURCE, reuseKey, completedAt }), [{ id: SOURCE, reuseKey, completedAt, status: 'COMPLETED' }]);
    },
    event: call('POST', `/api/workspaces/${WID}/jobs`, { body: { type: 'PARSE_DOCUMENT', input: { text: 'x' }, reuse: { maxAgeSeconds: 60 } } }),
    expected: 201,
  },
  {
    name: 'workspace-create-job',
    what: "the creator's upload",
    prepare: () => {},
    event: call('POST', `/api/workspaces/${WID}/jobs`, { body: { type: 'PARSE_DOCUMENT', input: { document: { uploadId: UPLOAD_ID, format: 'pdf' } } } }),
    expected: 202,
  },
  { name: 'workspace-list-jobs', what: 'byOwner under the workspace key', prepare: () => {}, event: call('GET', `/api/workspaces/${WID}/jobs`, { query: { limit: '1' } }), expected: 200 },
  { name: 'workspace-get-job', what: 'a stored result', prepare: () => {}, event: call('GET', jobPath(), withId), expected: 200 },
  { name: 'workspace-get-job-status', what: 'status', prepare: () => {}, event: call('GET', jobPath('/status'), withId), expected: 200 },
  { name: 'workspace-get-job-result', what: 'a stored result', prepare: () => {}, event: call('GET', jobPath('/result'), withId), expected: 200 },
  { name: 'workspace-cancel-job', what: 'cancel', prepare: () => tables(job({ status: 'PROCESSING', runId: 'r' })), event: call('POST', jobPath('/cancel'), withId), expected: 200 },
  {
    name: 'workspace-retry-job',
    what: 'keyed retry',
    prepare: () => tables(job({ status: 'FAILED' })),
    event: call('POST', jobPath('/retry'), { ...withId, headers: { 'Idempotency-Key': 'retry-1' } }),
    expected: 202,
  },
  {
    name: 'get-job',
    what: "a workspace job read by a member",
    prepare: () => {},
    event: () => apiEvent({ method: 'GET', path: `/api/jobs/${JOB_ID}`, pathParameters: { id: JOB_ID }, sub: 'user-b' }),
    expected: 200,
  },
];

async function handlerOf(name: RouteName): Promise<ApiHandler> {
  const route = ROUTES.find((candidate) => candidate.name === name)!;
  return ((await import(`../../../${route.entry}`)) as { handler: ApiHandler }).handler;
}

/** `dynamodb:GetItem workspaces` for each call, by table (and `byPrincipal` for a Query on that index). */
function usedTableActions(): string[] {
  return ddb.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: { TableName?: string; IndexName?: string; RequestItems?: Record<string, unknown> } };
    const table = command.input.TableName ?? Object.keys(command.input.RequestItems ?? {})[0];
    const where = table === WORKSPACES_TABLE_NAME ? 'workspaces' : table === JOBS_TABLE_NAME ? 'jobs' : `unknown ${table}`;
    return `${ACTION_OF[command.constructor.name] ?? command.constructor.name} ${where}${command.input.IndexName ? ` ${command.input.IndexName}` : ''}`;
  });
}

function grantedTableActions(access: RouteAccess): Set<string> {
  return new Set([
    ...access.table.flatMap((action) => (action === 'dynamodb:Query' ? (access.indexes ?? []).map((index) => `${action} jobs ${index}`) : [`${action} jobs`])),
    ...(access.workspaces ?? []).map((action) =>
      action === 'dynamodb:Query' && access.workspacesByPrincipal ? `${action} workspaces ${WORKSPACES_TABLE.principalIndex.name}` : `${action} workspaces`,
    ),
  ]);
}

function usedObjectActions(): string[] {
  const prefix = (key: string | undefined) => key?.split('/')[0] ?? '?';
  return s3.calls().flatMap((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: { Key?: string; CopySource?: string } };
    if (command.constructor.name === 'CopyObjectCommand') {
      return [`s3:GetObject ${prefix(command.input.CopySource?.split('/').slice(1).join('/'))}`, `s3:PutObject ${prefix(command.input.Key)}`];
    }
    return [`${command.constructor.name === 'PutObjectCommand' ? 's3:PutObject' : 's3:GetObject'} ${prefix(command.input.Key)}`];
  });
}

describe('workspace route permissions', () => {
  it('cover every workspace route and GET /api/jobs/{id} of a workspace job', () => {
    expect([...new Set(scenarios.map((s) => s.name))].sort()).toEqual([...workspaceRouteNames(), 'get-job'].sort());
  });

  it.each(scenarios)('$name ($what) calls only what its route is granted, on the table it is granted it', async (scenario) => {
    scenario.prepare();
    const response = await invoke(await handlerOf(scenario.name), scenario.event());
    expect(response.status, JSON.stringify(response.json)).toBe(scenario.expected);
    const access: RouteAccess = ROUTES.find((route) => route.name === scenario.name)!.access;
    const granted = grantedTableActions(access);
    for (const action of usedTableActions()) expect([...granted], action).toContain(action);
    const objects = Object.entries(access.payloads ?? {}).flatMap(([prefix, actions]) => (actions ?? []).map((action) => `${action} ${prefix}`));
    for (const action of usedObjectActions()) expect(objects).toContain(action);
    if (scenario.name === 'get-me') expect(ddb.calls()).toHaveLength(0);
    // Membership reads are strongly consistent: a removed member is refused on the next request.
    for (const call of ddb.commandCalls(GetCommand)) expect(call.args[0].input.ConsistentRead).toBe(true);
  });

  it('use every grant on the workspaces table and every payload grant of the workspace routes', async () => {
    const used = new Set<string>();
    for (const scenario of scenarios) {
      defaults();
      scenario.prepare();
      const response = await invoke(await handlerOf(scenario.name), scenario.event());
      expect(response.status).toBe(scenario.expected);
      for (const action of usedTableActions()) if (action.includes(' workspaces')) used.add(`${scenario.name} ${action}`);
      for (const action of usedObjectActions()) used.add(`${scenario.name} ${action}`);
    }
    const routes = ROUTES.filter((route) => scenarios.some((scenario) => scenario.name === route.name));
    const granted = routes.flatMap((route) => {
      const access: RouteAccess = route.access;
      const onWorkspaces = [...grantedTableActions(access)].filter((action) => action.includes(' workspaces')).map((action) => `${route.name} ${action}`);
      const objects = Object.entries(access.payloads ?? {}).flatMap(([prefix, actions]) => (actions ?? []).map((action) => `${route.name} ${action} ${prefix}`));
      return [...onWorkspaces, ...objects];
    });
    expect([...used].sort()).toEqual([...new Set(granted)].sort());
  });
});

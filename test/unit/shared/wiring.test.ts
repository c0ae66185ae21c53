/**
 * A function's wiring builds one DynamoDB document client: every adapter lambdas/shared/wiring.ts
 * builds for it sends through the same instance (one client to build at cold start, one
 * connection pool); a wiring made after the SDK's endpoint changed gets a client of its own, which
 * talks to the new endpoint.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { wire as wireWorkspaceListJobs, workspaceListJobs } from '../../../lambdas/api/handlers/workspaces/workspace-list-jobs.ts';
import { routeHandler } from '../../../lambdas/api/wiring.ts';
import { workspaceOwnerKey } from '../../../lambdas/domain/workspace.ts';
import { WORKSPACES_TABLE } from '../../../lambdas/shared/resources.ts';
import { attemptStoreFrom, jobReaderFrom, jobStoreFrom, workspaceReaderFrom, workspaceStoreFrom } from '../../../lambdas/shared/wiring.ts';
import { apiEvent, invoke } from '../../support/api-events.ts';
import { JOB_ID, jobItem } from '../../support/items.ts';

const WID = '7d0b6f8e-3c1a-4e2b-9f5d-0a1b2c3d4e5f';
const WORKSPACES_TABLE_NAME = process.env.WORKSPACES_TABLE_NAME!;
const JOBS_TABLE_NAME = process.env.JOBS_TABLE_NAME!;

/** A wiring environment of its own: the test's variables in a new object. */
const freshEnv = () => ({ ...process.env });

describe('one wiring', () => {
  let ddb: AwsClientStub<DynamoDBDocumentClient>;
  beforeEach(() => {
    ddb = mockClient(DynamoDBDocumentClient);
    const workspace = { [WORKSPACES_TABLE.partitionKey]: WID, [WORKSPACES_TABLE.sortKey]: 'WORKSPACE', id: WID, name: 'Team', jobShards: 2 };
    const member = { [WORKSPACES_TABLE.partitionKey]: WID, [WORKSPACES_TABLE.sortKey]: 'MEMBER#user-a', workspaceId: WID, principalId: 'user-a', role: 'owner' };
    const job = jobItem({ ownerId: workspaceOwnerKey(WID), workspaceId: WID, createdBy: 'user-a' });
    ddb.on(GetCommand).callsFake((input: { TableName: string; Key: Record<string, string> }) => {
      if (input.TableName !== WORKSPACES_TABLE_NAME) return { Item: job };
      return { Item: input.Key[WORKSPACES_TABLE.sortKey] === 'WORKSPACE' ? workspace : member };
    });
    ddb.on(QueryCommand).resolves({ Items: [{ id: JOB_ID, ownerId: workspaceOwnerKey(WID), createdAt: job.createdAt }] });
    ddb.on(BatchGetCommand).resolves({ Responses: { [JOBS_TABLE_NAME]: [job] } });
  });
  afterEach(() => ddb.restore());

  /** The client instance each DynamoDB call was sent by, and the table it went to. */
  const sent = () =>
    ddb.calls().map((call) => {
      const input = (call.args[0] as { input: { TableName?: string; RequestItems?: Record<string, unknown> } }).input;
      return { client: call.thisValue as unknown, table: input.TableName ?? Object.keys(input.RequestItems ?? {})[0] };
    });

  it("sends a workspace list's membership check, jobShards read and index reads through one client", async () => {
    // Three adapters: the access check's reader, the job reader and the job reader's jobShards reader.
    const handler = await routeHandler('workspace-list-jobs', workspaceListJobs, wireWorkspaceListJobs, freshEnv());
    const response = await invoke(handler, apiEvent({ method: 'GET', path: `/api/workspaces/${WID}/jobs`, pathParameters: { wid: WID }, sub: 'user-a' }));

    expect(response.status).toBe(200);
    const calls = sent();
    expect(new Set(calls.map((call) => call.table))).toEqual(new Set([WORKSPACES_TABLE_NAME, JOBS_TABLE_NAME]));
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(new Set(calls.map((call) => call.client)).size).toBe(1);
  });

  it("gives the job store, the worker's attempt store, the job reader and both workspace adapters of one environment the same client", async () => {
    const env = freshEnv();
    await jobStoreFrom(env).get(JOB_ID);
    await attemptStoreFrom(env).get(JOB_ID);
    await jobReaderFrom(env).get(JOB_ID);
    await workspaceStoreFrom(env).get(WID);
    await workspaceReaderFrom(env).get(WID);
    await jobReaderFrom(env).list(workspaceOwnerKey(WID), { limit: 1 });

    const calls = sent();
    expect(calls.length).toBeGreaterThanOrEqual(8);
    expect(new Set(calls.map((call) => call.client)).size).toBe(1);
  });

  it('gives another wiring environment its own client', async () => {
    await jobReaderFrom(freshEnv()).get(JOB_ID);
    await jobReaderFrom(freshEnv()).get(JOB_ID);

    const [first, second] = sent();
    expect(first!.client).not.toBe(second!.client);
  });
});

/** A DynamoDB endpoint on loopback answering every GetItem with no item, recording what it served. */
async function endpoint(): Promise<{ url: string; targets: string[]; server: Server }> {
  const targets: string[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    request.resume();
    request.on('end', () => {
      targets.push(String(request.headers['x-amz-target']));
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets, server };
}

describe('a wiring after the endpoint changed', () => {
  let first: Awaited<ReturnType<typeof endpoint>>;
  let second: Awaited<ReturnType<typeof endpoint>>;
  beforeAll(async () => {
    [first, second] = await Promise.all([endpoint(), endpoint()]);
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(async () => {
    for (const { server } of [first, second]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads from the new endpoint, with a client of its own', async () => {
    // As a test harness does: one environment object, an engine started on a new port between wirings.
    const env = process.env;
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', first.url);
    const before = jobReaderFrom(env);
    expect(await before.get(JOB_ID)).toBeUndefined();

    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', second.url);
    const after = jobReaderFrom(env);
    expect(await after.get(JOB_ID)).toBeUndefined();

    expect(first.targets).toEqual(['DynamoDB_20120810.GetItem']);
    expect(second.targets).toEqual(['DynamoDB_20120810.GetItem']);
  });
});

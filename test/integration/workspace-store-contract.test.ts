/**
 * The WorkspaceStore contract (test/contract/workspace-store.contract.ts) on the DynamoDB adapter, on
 * dynalite or AWS_ENDPOINT_URL: DynamoWorkspaceStore alone, and with its reads served by a separate
 * DynamoWorkspaceReader on the same table, as the job routes build it.
 */
import { afterAll, beforeAll } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamo-job-reader.ts';
import { DynamoWorkspaceReader } from '../../lambdas/adapters/dynamo-workspace-reader.ts';
import { DynamoWorkspaceStore } from '../../lambdas/adapters/dynamo-workspace-store.ts';
import { describeWorkspaceStoreContract } from '../contract/workspace-store.contract.ts';
import { startEmulators, type TestInfrastructure } from '../support/emulators.ts';
import { withReadsFrom } from '../support/split-store.ts';

let infra: TestInfrastructure;
beforeAll(async () => {
  infra = await startEmulators();
});
afterAll(async () => {
  await infra?.stop();
});

describeWorkspaceStoreContract('DynamoWorkspaceStore', () => new DynamoWorkspaceStore({ tableName: infra.workspacesTableName, client: createDocumentClient(infra.ddb) }));

describeWorkspaceStoreContract('DynamoWorkspaceStore writes, DynamoWorkspaceReader reads', () => {
  const table = { tableName: infra.workspacesTableName, client: createDocumentClient(infra.ddb) };
  return withReadsFrom(new DynamoWorkspaceStore(table), new DynamoWorkspaceReader(table), ['get', 'getMany', 'jobShards', 'getMembership', 'listMembers', 'listMemberships']);
});

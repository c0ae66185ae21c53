/** The WorkspaceStore contract (test/contract/workspace-store.contract.ts) on the DynamoDB adapter, on dynalite or AWS_ENDPOINT_URL. */
import { afterAll, beforeAll } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamo-job-store.ts';
import { DynamoWorkspaceStore } from '../../lambdas/adapters/dynamo-workspace-store.ts';
import { describeWorkspaceStoreContract } from '../contract/workspace-store.contract.ts';
import { startEmulators, type TestInfrastructure } from '../support/emulators.ts';

let infra: TestInfrastructure;
beforeAll(async () => {
  infra = await startEmulators();
});
afterAll(async () => {
  await infra?.stop();
});

describeWorkspaceStoreContract('DynamoWorkspaceStore', () => new DynamoWorkspaceStore({ tableName: infra.workspacesTableName, client: createDocumentClient(infra.ddb) }));

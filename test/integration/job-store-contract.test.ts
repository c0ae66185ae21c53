/**
 * The JobStore contract (test/contract/job-store.contract.ts) on the DynamoDB adapter: on dynalite
 * embedded here, or on the endpoint in AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB (LocalStack).
 */
import { afterAll, beforeAll } from 'vitest';
import { createDocumentClient, DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { CONTRACT_LIFECYCLE, describeJobStoreContract } from '../contract/job-store.contract.ts';
import { startEmulators, type TestInfrastructure } from '../support/emulators.ts';

let infra: TestInfrastructure;
beforeAll(async () => {
  infra = await startEmulators();
});
afterAll(async () => {
  await infra?.stop();
});

describeJobStoreContract(
  'DynamoJobStore',
  (workspaces) => new DynamoJobStore({ tableName: infra.tableName, lifecycle: CONTRACT_LIFECYCLE, client: createDocumentClient(infra.ddb), workspaces }),
);

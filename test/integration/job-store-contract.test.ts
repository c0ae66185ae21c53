/**
 * The JobStore contract (test/contract/job-store.contract.ts) on the DynamoDB adapter: on dynalite
 * embedded here, or on the endpoint in AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB (LocalStack).
 * Twice: DynamoJobStore alone, and with its reads (get, getMany, list) served by a separate
 * DynamoJobReader on the same table, as the read routes build it.
 */
import { afterAll, beforeAll } from 'vitest';
import { DynamoJobReader } from '../../lambdas/adapters/dynamo-job-reader.ts';
import { createDocumentClient, DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { CONTRACT_LIFECYCLE, describeJobStoreContract } from '../contract/job-store.contract.ts';
import { startEmulators, type TestInfrastructure } from '../support/emulators.ts';
import { withReadsFrom } from '../support/split-store.ts';

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

describeJobStoreContract('DynamoJobStore writes, DynamoJobReader reads', (workspaces) => {
  const table = { tableName: infra.tableName, client: createDocumentClient(infra.ddb), workspaces };
  return withReadsFrom(new DynamoJobStore({ ...table, lifecycle: CONTRACT_LIFECYCLE }), new DynamoJobReader(table), ['get', 'getMany', 'list']);
});

/**
 * The PayloadStore contract (test/contract/payload-store.contract.ts) on the S3 adapter: on fauxqs
 * embedded here, or on the endpoint in AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 (LocalStack).
 */
import { afterAll, beforeAll } from 'vitest';
import { createS3Client, S3PayloadStore } from '../../lambdas/adapters/s3-payload-store.ts';
import { describePayloadStoreContract } from '../contract/payload-store.contract.ts';
import { startEmulators, type TestInfrastructure } from '../support/emulators.ts';

let infra: TestInfrastructure;
beforeAll(async () => {
  infra = await startEmulators();
});
afterAll(async () => {
  await infra?.stop();
});

describePayloadStoreContract('S3PayloadStore', () => ({
  store: new S3PayloadStore({ bucket: infra.bucket, client: createS3Client(process.env, { endpoint: infra.s3Engine.endpoint }) }),
  // What curl or a browser does: a plain PUT with the headers the ticket names (fetch sets Content-Length).
  upload: async (url, headers, body) => {
    const { 'Content-Length': _length, ...rest } = headers;
    const response = await fetch(url, { method: 'PUT', headers: rest, body });
    if (!response.ok) throw new Error(`PUT ${url} answered ${response.status}: ${await response.text()}`);
  },
}));

import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { jsonBody } from '../../http/request.ts';
import { requireEnv } from '../../shared/config.ts';
import { ENV } from '../../shared/resources.ts';
import { CreateUpload } from '../../use-cases/create-upload.ts';
import type { RouteLogic } from '../http-adapter.ts';
import { routeHandler, type RouteWiring } from '../wiring.ts';

/**
 * POST /api/uploads { name, contentType, size } → 201 with a presigned PUT: `{ uploadId, url,
 * method, headers, expiresAt, maxBytes }`. PUT exactly `size` bytes to `url` with `headers`, then
 * name the upload in a job's input: `{ "document": { "uploadId", "format" } }`.
 */
export const createUpload: RouteLogic<CreateUpload> = async (request, uploads) => ({
  status: 201,
  body: await uploads.create(request.ownerId, jsonBody(request.event)),
});

/**
 * The function's one wiring point: its use case, with the adapters its IAM policy allows. Presigns
 * with this function's credentials; no table access.
 */
export function wire({ env }: RouteWiring): CreateUpload {
  return new CreateUpload({ payloads: lazyPayloadStore(requireEnv(env, ENV.payloadBucket)) });
}

export const handler = await routeHandler('create-upload', createUpload, wire);

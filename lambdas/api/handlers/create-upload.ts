import { jsonBody } from '../../http/request.ts';
import { lazyPayloadStore } from '../../adapters/lazy-payload-store.ts';
import { routeHandler, type RouteLogic } from '../route-handler.ts';

/**
 * POST /api/uploads { name, contentType, size } → 201 with a presigned PUT: `{ uploadId, url,
 * method, headers, expiresAt, maxBytes }`. PUT exactly `size` bytes to `url` with `headers`, then
 * name the upload in a job's input: `{ "document": { "uploadId", "format" } }`.
 */
export const createUpload: RouteLogic = async (request, service) => ({
  status: 201,
  body: await service.createUpload(request.ownerId, jsonBody(request.event)),
});

// Reads or writes payloads: this function carries the S3 client (loaded on first use).
export const handler = await routeHandler('create-upload', createUpload, { payloads: lazyPayloadStore });

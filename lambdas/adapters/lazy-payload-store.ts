/**
 * A PayloadStore that loads the S3 client on first use: routes that read a stored payload only
 * sometimes (GET of a COMPLETED job with a large result) do not pay for the S3 client at cold start.
 */
import type { PayloadRef } from '../domain/job.ts';
import type { PayloadStore } from '../domain/ports.ts';

export function lazyPayloadStore(bucket: string): PayloadStore {
  let store: Promise<PayloadStore> | undefined;
  const load = () => (store ??= import('./s3-payload-store.ts').then(({ S3PayloadStore }) => new S3PayloadStore({ bucket })));
  return {
    put: async (key: string, body: Uint8Array, contentType: string): Promise<PayloadRef> => (await load()).put(key, body, contentType),
    get: async (ref: PayloadRef): Promise<Uint8Array> => (await load()).get(ref),
  };
}

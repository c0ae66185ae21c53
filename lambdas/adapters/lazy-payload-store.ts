/**
 * A PayloadStore that loads the S3 client on first use: routes that read a stored payload only
 * sometimes (GET of a COMPLETED job with a large result) do not pay for the S3 client at cold start.
 */
import type { PayloadStore } from '../domain/ports.ts';

export function lazyPayloadStore(bucket: string): PayloadStore {
  let store: Promise<PayloadStore> | undefined;
  const load = () => (store ??= import('./s3-payload-store.ts').then(({ S3PayloadStore }) => new S3PayloadStore({ bucket })));
  return {
    put: async (key, body, contentType) => (await load()).put(key, body, contentType),
    get: async (ref) => (await load()).get(ref),
    read: async (key) => (await load()).read(key),
    head: async (key) => (await load()).head(key),
    copy: async (from, to) => (await load()).copy(from, to),
    presignPut: async (key, upload) => (await load()).presignPut(key, upload),
  };
}

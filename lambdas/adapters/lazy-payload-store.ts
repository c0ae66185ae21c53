/**
 * A PayloadStore that loads the S3 client on first use: routes that read a stored payload only
 * sometimes (GET of a COMPLETED job with a large result) do not pay for the S3 client at cold start.
 *
 * In a function's bundle the S3 payload store is a module bundled on its own (lib/bundling.ts:
 * S3_PAYLOAD_STORE_DEFINE names it), not a chunk of the function's build: esbuild's code splitting
 * places whole files, so the S3 client's share of the SDK's core files (XML protocol, checksums…),
 * which the DynamoDB client's imports also reach, would otherwise be loaded at cold start.
 * Unbundled (tests, `npm run dev`) the constant is not defined and the source module is imported.
 */
import type { PayloadStore } from '../domain/ports.ts';

/** The separately bundled S3 payload store's specifier, set in bundles only (esbuild `define`). */
declare const JOBS_S3_PAYLOAD_STORE: string | undefined;

const importS3PayloadStore = (): Promise<typeof import('./s3-payload-store.ts')> =>
  typeof JOBS_S3_PAYLOAD_STORE === 'string' ? import(JOBS_S3_PAYLOAD_STORE) : import('./s3-payload-store.ts');

export function lazyPayloadStore(bucket: string): PayloadStore {
  let store: Promise<PayloadStore> | undefined;
  const load = () => (store ??= importS3PayloadStore().then(({ S3PayloadStore }) => new S3PayloadStore({ bucket })));
  return {
    put: async (key, body, contentType) => (await load()).put(key, body, contentType),
    get: async (ref) => (await load()).get(ref),
    read: async (key) => (await load()).read(key),
    head: async (key) => (await load()).head(key),
    copy: async (from, to) => (await load()).copy(from, to),
    presignPut: async (key, upload) => (await load()).presignPut(key, upload),
  };
}

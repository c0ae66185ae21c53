/**
 * Documents the local gateway serves beside the API, with no authentication: `GET /openapi.json`,
 * the OpenAPI document (generated from the code on first request, so it always describes the
 * handlers this runtime runs; `npm run openapi` writes the same text to openapi.json). A deployed
 * stack does not serve it. One entry per document: another one (the web console at `/`) is a line.
 */
import type { Reply } from './reply.ts';

export interface GatewayDocument {
  readonly path: string;
  readonly contentType: string;
  /** The body, built once (the first request) and kept. */
  readonly load: () => Promise<Buffer>;
}

export const DOCUMENTS: readonly GatewayDocument[] = [
  {
    path: '/openapi.json',
    contentType: 'application/json',
    load: async () => {
      // Loaded on first use: the runtime starts without the generator.
      const { openApiDocument, serializeDocument } = await import('../../openapi/document.ts');
      return Buffer.from(serializeDocument(await openApiDocument()));
    },
  },
];

const loaded = new Map<string, Promise<Buffer>>();

/** The reply for a GET or HEAD of a document's path; undefined for any other request. */
export async function documentReply(method: string, path: string | undefined, cors: Readonly<Record<string, string>>): Promise<Reply | undefined> {
  const document = DOCUMENTS.find((candidate) => candidate.path === path);
  if (!document || (method !== 'GET' && method !== 'HEAD')) return undefined;
  let body = loaded.get(document.path);
  if (!body) {
    body = document.load();
    loaded.set(document.path, body);
    body.catch(() => loaded.delete(document.path));
  }
  const bytes = await body;
  return {
    status: 200,
    headers: { 'Content-Type': document.contentType, 'Cache-Control': 'no-cache', ...cors },
    body: bytes, // Node sends no body for a HEAD
  };
}

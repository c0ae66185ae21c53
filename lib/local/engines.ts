/**
 * The DynamoDB, SQS and S3 engines of the local runtime and the integration tests: dynalite and
 * fauxqs (SQS and S3 on one port; S3 kept in a folder when one is given, see file-s3-store.ts)
 * embedded in this process on loopback, or an endpoint given in the environment
 * (`AWS_ENDPOINT_URL`, or `AWS_ENDPOINT_URL_DYNAMODB` / `_SQS` / `_S3`), e.g. LocalStack.
 *
 * fauxqs hands out queue URLs on `sqs.<region>.<host>:<port>`. The AWS SDK's SQS client sends each
 * request to the queue URL's origin when that differs from its endpoint and the endpoint came from
 * the environment (as in the handlers), so `sqs.us-east-1.localhost` would have to resolve, and it
 * does not here. We pass fauxqs the host `fauxqs@127.0.0.1`: the URLs become
 * `http://sqs.us-east-1.fauxqs@127.0.0.1:<port>/000000000000/<name>`, whose origin is exactly the
 * endpoint (the prefix is only URL user info), so every client talks to 127.0.0.1 without DNS.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { addMissingIndexes, installAtomicDynalite, repairIndexes, storeOf, type GlobalIndexSpec, type RepairReport } from './atomic-dynalite.ts';
import { createFileS3Store } from './file-s3-store.ts';

/** Where a service is served from. */
export interface Engine {
  readonly endpoint: string;
  /** True when started by us in this process; false for an endpoint given in the environment. */
  readonly embedded: boolean;
  /** Stops an embedded engine; a no-op for an external one. */
  stop(): Promise<void>;
  /** An embedded DynamoDB kept on disk: what rebuilding its indexes from the records found. */
  readonly repaired?: RepairReport;
}

/** fauxqs puts this before the host in queue URLs; see the note at the top. */
const FAUXQS_URL_HOST = 'fauxqs@127.0.0.1';

export function configuredEndpoint(service: 'DYNAMODB' | 'SQS' | 'S3', env = process.env): string | undefined {
  return env[`AWS_ENDPOINT_URL_${service}`]?.trim() || env.AWS_ENDPOINT_URL?.trim() || undefined;
}

export interface DynamoEngineOptions {
  /** LevelDB folder that keeps the data across restarts; in memory when absent. */
  readonly path?: string;
  readonly port?: number;
  /** Rebuild the indexes of a data folder from its records before serving (default true). */
  readonly repair?: boolean;
  /**
   * A table of the data folder that must have these global secondary indexes: added (and filled)
   * if missing; `backfill` gives old records a key attribute the new indexes need (addMissingIndexes).
   */
  readonly indexes?: { readonly tableName: string; readonly indexes: readonly GlobalIndexSpec[]; readonly backfill?: Readonly<Record<string, string>> };
}

export async function startDynamoEngine(options: DynamoEngineOptions = {}): Promise<Engine> {
  const external = configuredEndpoint('DYNAMODB');
  if (external) return { endpoint: external, embedded: false, stop: async () => {} };
  // Every item write with its index entries as one LevelDB batch: a crash cannot split them.
  installAtomicDynalite();
  const dynaliteOptions = {
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  };
  const server: Server = dynalite(dynaliteOptions);
  // Indexes rebuilt from the records before anything is served: a data folder written before
  // writes were atomic (or damaged otherwise) is consistent again.
  const level = options.path ? storeOf(dynaliteOptions).db : undefined;
  const upgrade = options.indexes;
  const added = level && upgrade ? await addMissingIndexes(level, upgrade.tableName, upgrade.indexes, upgrade.backfill) : [];
  const repaired = level && (options.repair !== false || added.length > 0) ? await repairIndexes(level) : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    embedded: true,
    ...(repaired ? { repaired } : {}),
    stop: () =>
      new Promise<void>((resolve) => {
        // SDK clients keep sockets alive; close them or close() waits for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface QueueAndObjectEngineOptions {
  readonly port?: number;
  /** Folder that keeps the S3 objects across restarts; in memory when absent. */
  readonly s3Path?: string;
}

/**
 * SQS and S3: the endpoints from the environment where given, else fauxqs embedded here (one
 * server for both; stopping either engine stops it once neither is in use).
 */
export async function startQueueAndObjectEngines(
  options: QueueAndObjectEngineOptions = {},
): Promise<{ readonly sqs: Engine; readonly s3: Engine }> {
  const externalSqs = configuredEndpoint('SQS');
  const externalS3 = configuredEndpoint('S3');
  const external = (endpoint: string): Engine => ({ endpoint, embedded: false, stop: async () => {} });
  if (externalSqs && externalS3) return { sqs: external(externalSqs), s3: external(externalS3) };
  // buildApp, not startFauxqs: the latter listens on 0.0.0.0.
  const s3Store = options.s3Path ? await createFileS3Store(options.s3Path) : undefined;
  const app = buildApp({ logger: false, host: FAUXQS_URL_HOST, ...(s3Store ? { stores: { s3Store } as never } : {}) });
  allowBrowserUploads(app);
  const address = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const endpoint = new URL(address).origin;
  let users = (externalSqs ? 0 : 1) + (externalS3 ? 0 : 1);
  let closed: Promise<void> | undefined;
  const stop = async () => {
    users--;
    if (users <= 0) await (closed ??= app.close().then(() => {}));
  };
  const embedded: Engine = { endpoint, embedded: true, stop };
  return { sqs: externalSqs ? external(externalSqs) : embedded, s3: externalS3 ? external(externalS3) : { ...embedded } };
}

/**
 * CORS as the stack's bucket answers it (PresignedUploads in lib/constructs/jobs-payloads.ts), so
 * a web page on another origin can PUT to a presigned URL: preflights answered, `ETag` exposed.
 */
function allowBrowserUploads(app: ReturnType<typeof buildApp>): void {
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin) return;
    reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin').header('Access-Control-Expose-Headers', 'ETag');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      await reply
        .header('Access-Control-Allow-Methods', 'PUT')
        .header('Access-Control-Allow-Headers', request.headers['access-control-request-headers'] ?? '*')
        .header('Access-Control-Max-Age', '3600')
        .status(204)
        .send();
    }
  });
}

/** SQS alone (fauxqs embedded, or the endpoint from the environment). */
export async function startSqsEngine(options: { readonly port?: number } = {}): Promise<Engine> {
  const external = configuredEndpoint('SQS');
  if (external) return { endpoint: external, embedded: false, stop: async () => {} };
  // buildApp, not startFauxqs: the latter listens on 0.0.0.0.
  const app = buildApp({ logger: false, host: FAUXQS_URL_HOST });
  const address = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  return { endpoint: new URL(address).origin, embedded: true, stop: () => app.close() };
}

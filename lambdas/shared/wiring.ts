/** Adapters every function builds the same way from its environment. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, DynamoJobReader } from '../adapters/dynamo-job-reader.ts';
import { DynamoAttemptStore } from '../adapters/dynamo-attempt-store.ts';
import { DynamoJobStore } from '../adapters/dynamo-job-store.ts';
import { DynamoWorkspaceReader } from '../adapters/dynamo-workspace-reader.ts';
import { DynamoWorkspaceStore } from '../adapters/dynamo-workspace-store.ts';
import type { Clock } from '../domain/ports.ts';
import { lifecycleSettings, requireEnv, type Env } from './config.ts';
import { ENV } from './resources.ts';

/**
 * The jobs table in JOBS_TABLE_NAME, with the lifecycle settings of this deployment; with the
 * workspaces table when the function is given one (WORKSPACES_TABLE_NAME): a workspace's jobShards,
 * read to create, list and count its jobs.
 */
export function jobStoreFrom(env: Env, clock?: Clock): DynamoJobStore {
  return new DynamoJobStore({ ...jobTableFrom(env, clock), lifecycle: lifecycleSettings(env) });
}

/**
 * The worker's store: the jobs table's records and an attempt's writes, without the workspaces
 * table or the other transitions' code (the worker's cold start).
 */
export function attemptStoreFrom(env: Env, clock?: Clock): DynamoAttemptStore {
  return new DynamoAttemptStore({ tableName: requireEnv(env, ENV.tableName), client: documentClientFrom(env), ...(clock ? { clock } : {}), lifecycle: lifecycleSettings(env) });
}

/** The read side of jobStoreFrom's store (a job, several, an owner's page): the read routes' store, without the write side's code. */
export function jobReaderFrom(env: Env): DynamoJobReader {
  return new DynamoJobReader(jobTableFrom(env));
}

function jobTableFrom(env: Env, clock?: Clock) {
  const workspaces = env[ENV.workspacesTableName]?.trim() ? workspaceReaderFrom(env) : undefined;
  return { tableName: requireEnv(env, ENV.tableName), client: documentClientFrom(env), ...(clock ? { clock } : {}), ...(workspaces ? { workspaces } : {}) };
}

/** The workspaces table in WORKSPACES_TABLE_NAME. */
export function workspaceStoreFrom(env: Env): DynamoWorkspaceStore {
  return new DynamoWorkspaceStore({ tableName: requireEnv(env, ENV.workspacesTableName), client: documentClientFrom(env) });
}

/** The read side of the workspaces table (a membership, a workspace's jobShards…): what the job routes check access with, without the writes' code. */
export function workspaceReaderFrom(env: Env): DynamoWorkspaceReader {
  return new DynamoWorkspaceReader({ tableName: requireEnv(env, ENV.workspacesTableName), client: documentClientFrom(env) });
}

/** Per wiring environment, per SDK settings (sdkSettings): the document client built for them. */
const documentClients = new WeakMap<Env, Map<string, DynamoDBDocumentClient>>();

/**
 * The one DynamoDB document client (and DynamoDBClient under it) of the adapters wired from `env`:
 * a function's stores and readers share it, so its cold start builds one client and its requests
 * use one connection pool. It is kept per `env` object and per the SDK's own settings in the
 * process environment (sdkSettings), which is all a client is built from: a wiring after an
 * endpoint, region or credentials change (tests starting engines on new ports in one process)
 * gets a client of its own, never one that resolved an older endpoint.
 */
export function documentClientFrom(env: Env): DynamoDBDocumentClient {
  let clients = documentClients.get(env);
  if (!clients) documentClients.set(env, (clients = new Map()));
  const settings = sdkSettings();
  let client = clients.get(settings);
  if (!client) clients.set(settings, (client = createDocumentClient()));
  return client;
}

/**
 * What the SDK reads from the process environment when it builds a client and sends its first
 * request: every `AWS_*` variable (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, AWS_REGION,
 * AWS_PROFILE, credentials, retry and FIPS settings…), sorted, so none can be missed.
 */
function sdkSettings(): string {
  return JSON.stringify(
    Object.entries(process.env)
      .filter(([name]) => name.startsWith('AWS_'))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** Adapters every function builds the same way from its environment. */
import { DynamoJobReader } from '../adapters/dynamo-job-reader.ts';
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

/** The read side of jobStoreFrom's store (a job, several, an owner's page): the read routes' store, without the write side's code. */
export function jobReaderFrom(env: Env): DynamoJobReader {
  return new DynamoJobReader(jobTableFrom(env));
}

function jobTableFrom(env: Env, clock?: Clock) {
  const workspaces = env[ENV.workspacesTableName]?.trim() ? workspaceReaderFrom(env) : undefined;
  return { tableName: requireEnv(env, ENV.tableName), ...(clock ? { clock } : {}), ...(workspaces ? { workspaces } : {}) };
}

/** The workspaces table in WORKSPACES_TABLE_NAME. */
export function workspaceStoreFrom(env: Env): DynamoWorkspaceStore {
  return new DynamoWorkspaceStore({ tableName: requireEnv(env, ENV.workspacesTableName) });
}

/** The read side of the workspaces table (a membership, a workspace's jobShards…): what the job routes check access with, without the writes' code. */
export function workspaceReaderFrom(env: Env): DynamoWorkspaceReader {
  return new DynamoWorkspaceReader({ tableName: requireEnv(env, ENV.workspacesTableName) });
}

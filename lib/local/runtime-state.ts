/**
 * What a running `npm run dev` tells other local tools (the operator command, tests): its
 * endpoints and resource names, in `<data folder>/runtime.json`, written once it is ready and
 * removed when it stops. A file left by a process that no longer runs is ignored.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobPriority } from '../../lambdas/domain/job.ts';

export interface RuntimeState {
  readonly pid: number;
  /** The gateway, `http://127.0.0.1:<port>`. */
  readonly apiUrl: string;
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  readonly queueUrls: Readonly<Record<JobPriority, string>>;
  readonly dlqUrl: string;
  /** The Bedrock Runtime endpoint the worker calls; `bedrockStandIn` when it is ours. */
  readonly bedrockUrl: string;
  readonly bedrockStandIn: boolean;
  readonly workerMaxConcurrency: number;
}

export const runtimeStateFile = (dataDir: string): string => path.join(dataDir, 'runtime.json');

/** Writes the file (readable by the user only); returns the step that removes it. */
export function writeRuntimeState(dataDir: string, state: RuntimeState): () => Promise<void> {
  const file = runtimeStateFile(dataDir);
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return async () => rmSync(file, { force: true });
}

/** The state of the `npm run dev` running on this data folder; an error that says what to do when none runs. */
export function readRuntimeState(dataDir: string): RuntimeState {
  let state: RuntimeState;
  try {
    state = JSON.parse(readFileSync(runtimeStateFile(dataDir), 'utf8')) as RuntimeState;
  } catch {
    throw new Error(`No npm run dev is running on the data folder ${dataDir} (no runtime.json): start it, or pass --data DIR`);
  }
  if (!isRunning(state.pid)) {
    throw new Error(`The npm run dev that wrote ${runtimeStateFile(dataDir)} (pid ${state.pid}) is no longer running: start it again`);
  }
  return state;
}

/** True while a process with this pid runs (or exists under another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

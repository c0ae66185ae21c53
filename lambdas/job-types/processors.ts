/**
 * The worker's job types: every type of definitions.ts joined with the worker part its folder's
 * worker.ts exports, checked at start-up so a missing worker or a timeout that cannot fit in the
 * worker fails the deploy's first invocation loudly instead of a job at run time.
 */
import type { JobType, JobTypeDefinition } from '../domain/job-types.ts';
import type { StructuredModel } from '../domain/model.ts';
import { WORKER } from '../shared/resources.ts';
import { JOB_TYPE_DEFINITIONS, MODEL_SETTINGS_SPECS, jobTypeFolder } from './definitions.ts';
import type { JobTypeWorker, ProcessorDependencies } from './job-type-worker.ts';
import { readModelSettings, type ModelSettings } from './model-settings.ts';
import { sourceRenderer, type SourceRenderer } from './sources.ts';

export interface JobTypeDependencies {
  readonly model: StructuredModel;
}

/** Seconds an attempt may run: the worker's Lambda timeout minus the margin kept to record it. */
export const MAX_JOB_TIMEOUT_SECONDS = WORKER.timeoutSeconds - WORKER.finishMarginSeconds;

/**
 * Loads `lambdas/job-types/<folder>/worker.ts` of each definition and checks that it exports a
 * `worker` built on that very definition (the one its index.ts exports).
 */
export async function loadWorkers(
  definitions: readonly JobTypeDefinition<any>[],
  load: (folder: string) => Promise<unknown> = (folder) => import(`./${folder}/worker.ts`),
): Promise<JobTypeWorker[]> {
  return Promise.all(
    definitions.map(async (definition) => {
      const file = `lambdas/job-types/${jobTypeFolder(definition.name)}/worker.ts`;
      const module = await load(jobTypeFolder(definition.name)).catch((error: unknown) => {
        throw new Error(`Job type ${definition.name} has no worker: add ${file}`, { cause: error });
      });
      const { worker } = module as { worker?: JobTypeWorker };
      if (worker?.definition !== definition) {
        throw new Error(`${file} must export \`worker\`, built on the definition its index.ts exports`);
      }
      return worker;
    }),
  );
}

const WORKERS = await loadWorkers(JOB_TYPE_DEFINITIONS);

/** A source job's result as text for the model: its type's rendering, or JSON. */
export const renderSourceResult: SourceRenderer = sourceRenderer(new Map(WORKERS.map((worker) => [worker.definition.name, worker.render])));

/**
 * The worker's job types. Reads and validates the model settings from `env` once (a bad value
 * throws a ConfigurationError naming the variable).
 */
export function createJobTypes(
  deps: JobTypeDependencies,
  env: Readonly<Record<string, string | undefined>> = process.env,
): JobType[] {
  const settings = readModelSettings(env, MODEL_SETTINGS_SPECS);
  return joinJobTypes(WORKERS, { model: deps.model, renderSource: renderSourceResult }, settings);
}

/**
 * Builds each worker's processor with its type's settings. Throws when a type has no settings
 * or its timeout exceeds MAX_JOB_TIMEOUT_SECONDS.
 */
export function joinJobTypes(
  workers: readonly JobTypeWorker[],
  deps: ProcessorDependencies,
  settings: Readonly<Record<string, ModelSettings>>,
): JobType[] {
  return workers.map(({ definition, processor }) => {
    if (definition.timeoutSeconds > MAX_JOB_TIMEOUT_SECONDS) {
      throw new Error(
        `Job type ${definition.name}: timeoutSeconds ${definition.timeoutSeconds} exceeds ${MAX_JOB_TIMEOUT_SECONDS} ` +
          `(worker timeout ${WORKER.timeoutSeconds}s minus ${WORKER.finishMarginSeconds}s finish margin)`,
      );
    }
    const typeSettings = settings[definition.name];
    if (typeSettings === undefined) throw new Error(`Job type ${definition.name} has no model settings`);
    return { ...definition, process: processor(deps, typeSettings) };
  });
}

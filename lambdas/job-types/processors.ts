/**
 * The worker's job types: every compiled type (compiled.ts, in the API's order) joined with the
 * worker part its folder's worker.ts exports, checked at start-up so a missing worker or a timeout
 * that cannot fit in the worker fails the deploy's first invocation loudly instead of a job at run
 * time. No zod: a stored input is checked against its type's compiled JSON Schema.
 */
import type { JobType } from '../domain/job-types.ts';
import type { StructuredModel } from '../domain/model.ts';
import { WORKER } from '../shared/resources.ts';
import { COMPILED_JOB_TYPES, type CompiledJobType } from './compiled.ts';
import { jobTypeFolder } from './folders.ts';
import type { JobTypeWorker, ProcessorDependencies } from './job-type-worker.ts';
import { checkJson } from './json-check.ts';
import { readModelSettings, type ModelSettings } from './model-settings.ts';
import { sourceRenderer, type SourceRenderer } from './sources.ts';

export interface JobTypeDependencies {
  readonly model: StructuredModel;
}

/** A compiled type with the worker part of its worker.ts. */
export interface LoadedJobType extends CompiledJobType {
  readonly worker: JobTypeWorker;
}

/** Seconds an attempt may run: the worker's Lambda timeout minus the margin kept to record it. */
export const MAX_JOB_TIMEOUT_SECONDS = WORKER.timeoutSeconds - WORKER.finishMarginSeconds;

/**
 * Loads `lambdas/job-types/<folder>/worker.ts` of each type and checks that it exports a `worker`
 * of that very type.
 */
export async function loadWorkers(
  types: readonly CompiledJobType[],
  load: (folder: string) => Promise<unknown> = (folder) => import(`./${folder}/worker.ts`),
): Promise<LoadedJobType[]> {
  return Promise.all(
    types.map(async (type) => {
      const file = `lambdas/job-types/${jobTypeFolder(type.name)}/worker.ts`;
      const module = await load(jobTypeFolder(type.name)).catch((error: unknown) => {
        throw new Error(`Job type ${type.name} has no worker: add ${file}`, { cause: error });
      });
      const { worker } = module as { worker?: JobTypeWorker };
      if (worker?.name !== type.name) {
        throw new Error(`${file} must export \`worker\`, the worker part of ${type.name} (defineWorker or structuredJobType)`);
      }
      return { ...type, worker };
    }),
  );
}

const LOADED = await loadWorkers(COMPILED_JOB_TYPES);

/** A source job's result as text for the model: its type's rendering, or JSON. */
export const renderSourceResult: SourceRenderer = sourceRenderer(new Map(LOADED.map((type) => [type.name, type.worker.render])));

/**
 * The worker's job types. Reads and validates the model settings from `env` once (a bad value
 * throws a ConfigurationError naming the variable).
 */
export function createJobTypes(
  deps: JobTypeDependencies,
  env: Readonly<Record<string, string | undefined>> = process.env,
): JobType[] {
  const settings = readModelSettings(env, Object.fromEntries(LOADED.map((type) => [type.name, type.modelSettings])));
  return joinJobTypes(LOADED, { model: deps.model, renderSource: renderSourceResult }, settings);
}

/**
 * Builds each type's processor with its settings, and the check of its stored input (its shape:
 * the create checked the rest). Throws when a type has no settings or its timeout exceeds
 * MAX_JOB_TIMEOUT_SECONDS.
 */
export function joinJobTypes(
  types: readonly LoadedJobType[],
  deps: ProcessorDependencies,
  settings: Readonly<Record<string, ModelSettings>>,
): JobType[] {
  return types.map(({ name, timeoutSeconds, input, worker }) => {
    if (timeoutSeconds > MAX_JOB_TIMEOUT_SECONDS) {
      throw new Error(
        `Job type ${name}: timeoutSeconds ${timeoutSeconds} exceeds ${MAX_JOB_TIMEOUT_SECONDS} ` +
          `(worker timeout ${WORKER.timeoutSeconds}s minus ${WORKER.finishMarginSeconds}s finish margin)`,
      );
    }
    const typeSettings = settings[name];
    if (typeSettings === undefined) throw new Error(`Job type ${name} has no model settings`);
    return {
      name,
      timeoutSeconds,
      input: { safeParse: (value: unknown) => checkJson(input, value, { unknownKeys: 'reject', trim: false }) },
      process: worker.processor(deps, typeSettings),
    };
  });
}

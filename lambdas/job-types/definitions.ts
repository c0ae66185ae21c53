/**
 * The job types. Each lives in its folder `lambdas/job-types/<folder>/`, named after it in kebab
 * case (GAP_DETECTION in gap-detection/):
 * - `index.ts` exports what the API and `cdk synth` need: `definition` (defineJobType) and, when
 *   the type's model settings defaults differ from the common ones, `modelSettings`. It must
 *   import no processor and no AWS SDK: the API functions bundle every index.ts (a test checks).
 * - `result.ts` exports the zod schema of the type's results: `output`, what a structured type's
 *   model must reply (its result is that with `metadata`), or `result`. The OpenAPI document
 *   publishes it; compile.ts turns it into the JSON Schema the worker checks replies with.
 * - `worker.ts` exports `worker`, the processor and renderer of the type (defineWorker or
 *   structuredJobType, by name). It imports no zod (only types): processors.ts loads it for the
 *   worker only, whose bundle carries the schemas compiled (compiled.ts), not zod.
 *
 * Adding a type: its folder, and one line in JOB_TYPE_FOLDERS (folders.ts).
 */
import { JobTypeCatalog, type JobTypeDefinition } from '../domain/job-types.ts';
import { JOB_TYPE_FOLDERS, jobTypeFolder } from './folders.ts';
import type { ModelSettingsSpec } from './model-settings.ts';

export { JOB_TYPE_FOLDERS, jobTypeFolder };

/** What a type's index.ts exports. */
export interface JobTypeIndex {
  readonly definition: JobTypeDefinition<any>;
  readonly modelSettings: ModelSettingsSpec;
}

/**
 * Loads each folder's index.ts and checks what it exports: a `definition` named after the folder,
 * and `modelSettings` or none (the common defaults).
 */
export async function loadJobTypeIndexes(
  folders: readonly string[],
  load: (folder: string) => Promise<unknown> = (folder) => import(`./${folder}/index.ts`),
): Promise<JobTypeIndex[]> {
  return Promise.all(
    folders.map(async (folder) => {
      const { definition, modelSettings } = (await load(folder)) as Partial<JobTypeIndex>;
      if (definition === undefined || jobTypeFolder(definition.name) !== folder) {
        throw new Error(
          `lambdas/job-types/${folder}/index.ts must export the definition of its type` +
            (definition === undefined ? '' : `: ${definition.name} belongs in lambdas/job-types/${jobTypeFolder(definition.name)}/`),
        );
      }
      return { definition, modelSettings: modelSettings ?? {} };
    }),
  );
}

const INDEXES = await loadJobTypeIndexes(JOB_TYPE_FOLDERS);

export const JOB_TYPE_DEFINITIONS: readonly JobTypeDefinition[] = INDEXES.map((index) => index.definition);

export const jobTypeCatalog = new JobTypeCatalog(JOB_TYPE_DEFINITIONS);

/** Each type's model settings defaults, by name (model-settings.ts reads the variables that override them). */
export const MODEL_SETTINGS_SPECS: Readonly<Record<string, ModelSettingsSpec>> = Object.fromEntries(
  INDEXES.map((index) => [index.definition.name, index.modelSettings]),
);

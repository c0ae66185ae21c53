/**
 * The job types. Each lives in its folder `lambdas/job-types/<folder>/`, named after it in kebab
 * case (GAP_DETECTION in gap-detection/):
 * - `index.ts` exports what the API and `cdk synth` need: `definition` (defineJobType) and, when
 *   the type's model settings defaults differ from the common ones, `modelSettings`. It must
 *   import no processor and no AWS SDK: the API functions bundle every index.ts (a test checks).
 * - `worker.ts` exports `worker`, the processor and renderer built from that definition;
 *   processors.ts loads it for the worker only.
 *
 * Adding a type: its folder, and one line in JOB_TYPE_FOLDERS.
 */
import { JobTypeCatalog, type JobTypeDefinition } from '../domain/job-types.ts';
import type { ModelSettingsSpec } from './model-settings.ts';

/** Every job type, by folder, in the order the API names them. */
export const JOB_TYPE_FOLDERS: readonly string[] = [
  'ai-preview',
  'parse-document',
  'gap-detection',
  'risk-analysis',
  'report-generation',
];

/** What a type's index.ts exports. */
export interface JobTypeIndex {
  readonly definition: JobTypeDefinition<any>;
  readonly modelSettings: ModelSettingsSpec;
}

/** The folder of a type: its name in kebab case. */
export function jobTypeFolder(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
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

/**
 * REPORT_GENERATION: combines the results of the caller's earlier jobs into one Markdown report.
 * What the API and `cdk synth` need (API-safe); the worker's part is worker.ts.
 */
import { defineJobType } from '../../domain/job-types.ts';
import type { ModelSettingsSpec } from '../model-settings.ts';
import { shortText, sourceJobIdsSchema, strictInput } from '../input-fields.ts';

export const REPORT_GENERATION_LIMITS = {
  titleMaxChars: 200,
  instructionsMaxChars: 4000,
} as const;

export const definition = defineJobType({
  name: 'REPORT_GENERATION',
  description: 'Combines the results of earlier jobs (1 to 10, by id) into one report in Markdown.',
  input: strictInput('input', {
    sourceJobIds: sourceJobIdsSchema,
    /** Used as the report's title as given; the model picks one otherwise. */
    title: shortText('title', REPORT_GENERATION_LIMITS.titleMaxChars).optional(),
    /** What to emphasise, the audience, the structure... */
    instructions: shortText('instructions', REPORT_GENERATION_LIMITS.instructionsMaxChars).optional(),
  }),
  timeoutSeconds: 90,
  sourceJobIds: (input) => input.sourceJobIds,
});

/** Reports run long: twice the common max tokens. */
export const modelSettings: ModelSettingsSpec = { maxTokens: 4096 };

/**
 * REPORT_GENERATION: combines the results of the caller's earlier jobs into one Markdown report.
 * The definition only (the API bundles it); the processor lives in processor.ts.
 */
import { z } from 'zod';
import { defineJobType } from '../../domain/job-types.ts';
import { shortText, sourceJobIdsSchema, strictInput } from '../input-fields.ts';

export const REPORT_GENERATION_LIMITS = {
  titleMaxChars: 200,
  instructionsMaxChars: 4000,
} as const;

export const reportGenerationInputSchema = strictInput('input', {
  sourceJobIds: sourceJobIdsSchema,
  /** Used as the report's title as given; the model picks one otherwise. */
  title: shortText('title', REPORT_GENERATION_LIMITS.titleMaxChars).optional(),
  /** What to emphasise, the audience, the structure... */
  instructions: shortText('instructions', REPORT_GENERATION_LIMITS.instructionsMaxChars).optional(),
});

export type ReportGenerationInput = z.infer<typeof reportGenerationInputSchema>;

export const reportGenerationType = defineJobType<ReportGenerationInput>({
  name: 'REPORT_GENERATION',
  description: 'Combines the results of earlier jobs (1 to 10, by id) into one report in Markdown.',
  input: reportGenerationInputSchema,
  timeoutSeconds: 90,
  sourceJobIds: (input) => input.sourceJobIds,
});

/**
 * RISK_ANALYSIS: lists the risks in a document, each with likelihood, impact and mitigation.
 * The document is given as text or as the results of the caller's earlier jobs
 * (`sourceJobIds`). The definition only (the API bundles it); the processor lives in processor.ts.
 */
import { z } from 'zod';
import { defineJobType } from '../../domain/job-types.ts';
import { documentText, documentUploads, exactlyOneOf, uploadedDocumentSchema, sourceJobIdsSchema, strictInput } from '../input-fields.ts';

export const riskAnalysisInputSchema = strictInput('input', {
  text: documentText('text').optional(),
  sourceJobIds: sourceJobIdsSchema.optional(),
  /** An uploaded document: `{ uploadId, format }` (POST /api/uploads, up to 4.5 MB). */
  document: uploadedDocumentSchema.optional(),
}).superRefine(
  exactlyOneOf<{ text?: unknown; sourceJobIds?: unknown; document?: unknown }>(
    ['text', 'sourceJobIds', 'document'],
    'the document to analyse: text (a string) or sourceJobIds (ids of your earlier jobs) or document ({ uploadId, format }: an uploaded file)',
  ),
);

export type RiskAnalysisInput = z.infer<typeof riskAnalysisInputSchema>;

export const riskAnalysisType = defineJobType<RiskAnalysisInput>({
  name: 'RISK_ANALYSIS',
  description:
    'Lists the risks in a document (text, or the results of earlier jobs), each with category, likelihood, impact and mitigation.',
  input: riskAnalysisInputSchema,
  timeoutSeconds: 60,
  sourceJobIds: (input) => input.sourceJobIds ?? [],
  uploads: (input) => documentUploads(input.document),
});

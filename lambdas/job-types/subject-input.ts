/**
 * The input fields of the types that analyse one document (GAP_DETECTION, RISK_ANALYSIS): the
 * document as `text`, as the results of the caller's earlier jobs (`sourceJobIds`) or as an
 * uploaded `document`, exactly one of them. API-safe (zod and plain code); the worker turns the
 * same fields into the document the model reads (sources.ts, subjectDocument).
 */
import type { JobTypeDefinition } from '../domain/job-types.ts';
import { documentText, documentUploads, exactlyOneOf, sourceJobIdsSchema, uploadedDocumentSchema } from './input-fields.ts';

export const SUBJECT_FIELDS = {
  text: documentText('text').optional(),
  sourceJobIds: sourceJobIdsSchema.optional(),
  /** An uploaded document: `{ uploadId, format }` (POST /api/uploads, up to 4.5 MB). */
  document: uploadedDocumentSchema.optional(),
};

interface SubjectInput {
  readonly text?: unknown;
  readonly sourceJobIds?: readonly string[] | undefined;
  readonly document?: Parameters<typeof documentUploads>[0];
}

/** The refinement that wants exactly one subject field; `purpose` completes "the document to …". */
export function exactlyOneSubject(purpose: string) {
  return exactlyOneOf<SubjectInput>(
    ['text', 'sourceJobIds', 'document'],
    `the document to ${purpose}: text (a string) or sourceJobIds (ids of your earlier jobs) or document ({ uploadId, format }: an uploaded file)`,
  );
}

/** The definition's `sourceJobIds` and `uploads`: what the API checks before it accepts the job. */
export const SUBJECT_REFERENCES = {
  sourceJobIds: (input: SubjectInput) => input.sourceJobIds ?? [],
  uploads: (input: SubjectInput) => documentUploads(input.document),
} satisfies Pick<JobTypeDefinition<SubjectInput>, 'sourceJobIds' | 'uploads'>;

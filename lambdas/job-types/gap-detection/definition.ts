/**
 * GAP_DETECTION: finds what a document is missing against required topics or a question. The
 * document is given as text or as the results of the caller's earlier jobs (`sourceJobIds`).
 * The definition only (the API bundles it); the processor lives in processor.ts.
 */
import { z } from 'zod';
import { defineJobType } from '../../domain/job-types.ts';
import { documentText, documentUploads, exactlyOneOf, uploadedDocumentSchema, lengthWithin, shortText, sourceJobIdsSchema, strictInput } from '../input-fields.ts';

export const GAP_DETECTION_LIMITS = {
  requiredTopicsMax: 50,
  topicMaxChars: 500,
  questionMaxChars: 2000,
} as const;

export const gapDetectionInputSchema = strictInput('input', {
  text: documentText('text').optional(),
  sourceJobIds: sourceJobIdsSchema.optional(),
  /** An uploaded document: `{ uploadId, format }` (POST /api/uploads, up to 4.5 MB). */
  document: uploadedDocumentSchema.optional(),
  requiredTopics: z
    .array(shortText('each requiredTopics entry', GAP_DETECTION_LIMITS.topicMaxChars), {
      error: 'requiredTopics must be an array of strings',
    })
    .superRefine(
      lengthWithin(
        1,
        GAP_DETECTION_LIMITS.requiredTopicsMax,
        'requiredTopics must list at least 1 topic',
        `requiredTopics must list at most ${GAP_DETECTION_LIMITS.requiredTopicsMax} topics`,
      ),
    )
    .optional(),
  question: shortText('question', GAP_DETECTION_LIMITS.questionMaxChars).optional(),
})
  .superRefine(
    exactlyOneOf<{ text?: unknown; sourceJobIds?: unknown; document?: unknown }>(
      ['text', 'sourceJobIds', 'document'],
      'the document to check: text (a string) or sourceJobIds (ids of your earlier jobs) or document ({ uploadId, format }: an uploaded file)',
    ),
  )
  .superRefine((input, ctx) => {
    if (input.requiredTopics === undefined && input.question === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'input needs requiredTopics (the topics the document must cover) or question (what it must answer), or both',
      });
    }
  });

export type GapDetectionInput = z.infer<typeof gapDetectionInputSchema>;

export const gapDetectionType = defineJobType<GapDetectionInput>({
  name: 'GAP_DETECTION',
  description:
    'Finds what a document (text, or the results of earlier jobs) is missing against a list of required topics or a question.',
  input: gapDetectionInputSchema,
  timeoutSeconds: 60,
  sourceJobIds: (input) => input.sourceJobIds ?? [],
  uploads: (input) => documentUploads(input.document),
});

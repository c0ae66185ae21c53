/**
 * GAP_DETECTION: finds what a document is missing against required topics or a question. The
 * document is given as text, as the results of the caller's earlier jobs (`sourceJobIds`) or as
 * an uploaded file. What the API and `cdk synth` need (API-safe); the worker's part is worker.ts.
 */
import * as z from 'zod';
import { defineJobType } from '../../domain/job-types.ts';
import { lengthWithin, shortText, strictInput } from '../input-fields.ts';
import { SUBJECT_FIELDS, SUBJECT_REFERENCES, exactlyOneSubject } from '../subject-input.ts';

export const GAP_DETECTION_LIMITS = {
  requiredTopicsMax: 50,
  topicMaxChars: 500,
  questionMaxChars: 2000,
} as const;

const input = strictInput('input', {
  ...SUBJECT_FIELDS,
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
  .superRefine(exactlyOneSubject('check'))
  .superRefine((value, ctx) => {
    if (value.requiredTopics === undefined && value.question === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'input needs requiredTopics (the topics the document must cover) or question (what it must answer), or both',
      });
    }
  });

export const definition = defineJobType<z.infer<typeof input>>({
  name: 'GAP_DETECTION',
  description:
    'Finds what a document (text, or the results of earlier jobs) is missing against a list of required topics or a question.',
  input,
  timeoutSeconds: 60,
  ...SUBJECT_REFERENCES,
});

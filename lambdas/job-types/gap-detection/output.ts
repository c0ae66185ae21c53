/** The structure GAP_DETECTION returns (and asks the model for). */
import { z } from 'zod';
import { level, outputText } from '../output-fields.ts';

export const gapDetectionOutputSchema = z.object({
  gaps: z
    .array(
      z.object({
        area: outputText(300, 'The required topic, or the part of the question, that is not (fully) covered.'),
        description: outputText(4_000, 'What is missing or too thin, and why it matters.'),
        severity: level('high: the document cannot serve its purpose without it; medium: a clear weakness; low: a minor omission.'),
      }),
    )
    .max(100)
    .describe('What the document is missing, most severe first. Empty when nothing is missing.'),
});

export type GapDetectionOutput = z.infer<typeof gapDetectionOutputSchema>;

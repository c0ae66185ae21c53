/**
 * GAP_DETECTION's result: what its model must reply (the tool's input schema, compiled for the worker by
 * compile.ts); the stored result adds `metadata` (results.ts). Loaded by the OpenAPI document and
 * at build time, never by the worker.
 */
import * as z from 'zod';
import { level, outputList, outputText } from '../output-fields.ts';

export const output = z.object({
  gaps: outputList(
    z.object({
      area: outputText(300, 'The required topic, or the part of the question, that is not (fully) covered.'),
      description: outputText(4_000, 'What is missing or too thin, and why it matters.'),
      severity: level('high: the document cannot serve its purpose without it; medium: a clear weakness; low: a minor omission.'),
    }),
    100,
    'What the document is missing, most severe first. Empty when nothing is missing.',
  ),
});

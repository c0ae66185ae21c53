/**
 * PARSE_DOCUMENT's result: what its model must reply (the tool's input schema, compiled for the worker by
 * compile.ts); the stored result adds `metadata` (results.ts). Loaded by the OpenAPI document and
 * at build time, never by the worker.
 */
import * as z from 'zod';
import { outputList, outputText } from '../output-fields.ts';

export const output = z.object({
  title: outputText(300, "The document's own title, or a short descriptive title if it has none."),
  summary: outputText(5_000, 'What the document is about and its main points, in 2 to 5 sentences.'),
  sections: outputList(
    z.object({
      heading: outputText(300, "The section's heading as written, or a short descriptive one if it has none."),
      text: outputText(20_000, "The section's content: kept as written when short, condensed to its key points when long."),
    }),
    200,
    "The document's sections in order of appearance.",
  ),
});

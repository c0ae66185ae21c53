/** The structure PARSE_DOCUMENT returns (and asks the model for). */
import { z } from 'zod';
import { outputText } from '../output-fields.ts';

export const parseDocumentOutputSchema = z.object({
  title: outputText(300, "The document's own title, or a short descriptive title if it has none."),
  summary: outputText(5_000, 'What the document is about and its main points, in 2 to 5 sentences.'),
  sections: z
    .array(
      z.object({
        heading: outputText(300, "The section's heading as written, or a short descriptive one if it has none."),
        text: outputText(20_000, "The section's content: kept as written when short, condensed to its key points when long."),
      }),
    )
    .max(200)
    .describe("The document's sections in order of appearance."),
});

export type ParseDocumentOutput = z.infer<typeof parseDocumentOutputSchema>;

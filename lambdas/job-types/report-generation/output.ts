/** The structure REPORT_GENERATION returns (and asks the model for). */
import { z } from 'zod';
import { outputText } from '../output-fields.ts';

export const reportGenerationOutputSchema = z.object({
  title: outputText(300, "The report's title."),
  markdown: outputText(100_000, 'The report body in Markdown, without the title as a heading.'),
});

export type ReportGenerationOutput = z.infer<typeof reportGenerationOutputSchema>;

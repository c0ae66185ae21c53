/**
 * The REPORT_GENERATION processor: loads the source jobs' results, sends them as one document
 * and returns the report. A title given in the input is the report's title, whatever the model
 * proposes.
 */
import type { Processor } from '../../domain/job-types.ts';
import type { StructuredModel } from '../../domain/model.ts';
import type { ModelSettings } from '../model-settings.ts';
import { systemPrompt } from '../prompts.ts';
import { sourcesDocument } from '../sources.ts';
import { generateStructured, structuredOutput, withMetadata } from '../structured.ts';
import type { ReportGenerationInput } from './definition.ts';
import { reportGenerationOutputSchema } from './output.ts';

export const reportGenerationOutput = structuredOutput({
  jobType: 'REPORT_GENERATION',
  toolName: 'record_report',
  toolDescription: 'Records the report: its title and its body in Markdown.',
  schema: reportGenerationOutputSchema,
});

const SYSTEM = systemPrompt('You write clear, well-structured reports in Markdown.', reportGenerationOutput.tool.name);

export function reportGenerationPrompt(input: Pick<ReportGenerationInput, 'title' | 'instructions'>): string {
  const parts = [
    'Write one report in Markdown that combines the results of the earlier jobs in the attached "sources" document ' +
      '(each result is wrapped in a <source> tag naming its job type). Organise it by theme rather than source by source, ' +
      'keep every finding, severity and recommendation the sources give, and add no facts they do not contain.',
    input.title !== undefined
      ? `The report's title is: ${input.title}`
      : 'Give the report a short, descriptive title.',
  ];
  if (input.instructions !== undefined) parts.push(`Follow these instructions from the requester:\n${input.instructions}`);
  parts.push('Record the title and the Markdown body (without the title as a heading).');
  return parts.join('\n\n');
}

export function createReportGenerationProcessor(model: StructuredModel, settings: ModelSettings): Processor<ReportGenerationInput> {
  return async (input, context) => {
    const document = await sourcesDocument(input.sourceJobIds, context);
    const result = await generateStructured(
      model,
      reportGenerationOutput,
      settings,
      { prompt: reportGenerationPrompt(input), system: SYSTEM, documents: [document] },
      context,
    );
    const value = input.title !== undefined ? { ...result.value, title: input.title } : result.value;
    return withMetadata({ ...result, value });
  };
}

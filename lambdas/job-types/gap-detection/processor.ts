/**
 * The GAP_DETECTION processor: sends the document (the input text, or the sources' results) with
 * the required topics and/or the question, and returns the gaps.
 */
import type { Processor } from '../../domain/job-types.ts';
import type { StructuredModel } from '../../domain/model.ts';
import type { ModelSettings } from '../model-settings.ts';
import { systemPrompt } from '../prompts.ts';
import { subjectDocument } from '../sources.ts';
import { generateStructured, structuredOutput, withMetadata } from '../structured.ts';
import type { GapDetectionInput } from './definition.ts';
import { gapDetectionOutputSchema } from './output.ts';

export const gapDetectionOutput = structuredOutput({
  jobType: 'GAP_DETECTION',
  toolName: 'record_gaps',
  toolDescription: 'Records what the document is missing against the required topics or the question.',
  schema: gapDetectionOutputSchema,
});

const SYSTEM = systemPrompt(
  'You review documents for completeness: you find what they are missing, not what they get wrong.',
  gapDetectionOutput.tool.name,
);

export function gapDetectionPrompt(input: Pick<GapDetectionInput, 'requiredTopics' | 'question'>): string {
  const parts = ['Find what the attached document is missing.'];
  if (input.requiredTopics !== undefined) {
    parts.push(
      'The document must cover each of these topics:',
      input.requiredTopics.map((topic, index) => `${index + 1}. ${topic}`).join('\n'),
    );
  }
  if (input.question !== undefined) parts.push(`The document must answer this question:\n${input.question}`);
  parts.push(
    'Record one gap for each topic (or part of the question) the document does not cover, or covers too thinly to be useful: ' +
      'area (the topic or aspect), description (what is missing and why it matters) and severity ' +
      '(high: the document cannot serve its purpose without it; medium: a clear weakness; low: a minor omission). ' +
      'Order the gaps from most to least severe. If nothing is missing, record an empty list.',
  );
  return parts.join('\n\n');
}

export function createGapDetectionProcessor(model: StructuredModel, settings: ModelSettings): Processor<GapDetectionInput> {
  return async (input, context) => {
    const document = await subjectDocument(input, context);
    const result = await generateStructured(
      model,
      gapDetectionOutput,
      settings,
      { prompt: gapDetectionPrompt(input), system: SYSTEM, documents: [document] },
      context,
    );
    return withMetadata(result);
  };
}

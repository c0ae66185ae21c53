/**
 * The RISK_ANALYSIS processor: sends the document (the input text, or the sources' results) and
 * returns its risks.
 */
import type { Processor } from '../../domain/job-types.ts';
import type { StructuredModel } from '../../domain/model.ts';
import type { ModelSettings } from '../model-settings.ts';
import { systemPrompt } from '../prompts.ts';
import { subjectDocument } from '../sources.ts';
import { generateStructured, structuredOutput, withMetadata } from '../structured.ts';
import type { RiskAnalysisInput } from './definition.ts';
import { riskAnalysisOutputSchema } from './output.ts';

export const riskAnalysisOutput = structuredOutput({
  jobType: 'RISK_ANALYSIS',
  toolName: 'record_risks',
  toolDescription: 'Records the risks found in the document, with likelihood, impact and mitigation.',
  schema: riskAnalysisOutputSchema,
});

const SYSTEM = systemPrompt('You are a risk analyst.', riskAnalysisOutput.tool.name);

export const RISK_ANALYSIS_PROMPT = [
  'Identify the risks described in, or clearly implied by, the attached document.',
  'For each risk record: category (e.g. financial, legal, operational, technical, schedule, security), ' +
    'description (what could go wrong, and what in the document points to it), likelihood and impact (low, medium or high) ' +
    'and mitigation (what would reduce the likelihood or the impact).',
  'Order the risks from most to least serious. Do not invent risks the document gives no ground for; if there are none, record an empty list.',
].join('\n\n');

export function createRiskAnalysisProcessor(model: StructuredModel, settings: ModelSettings): Processor<RiskAnalysisInput> {
  return async (input, context) => {
    const document = await subjectDocument(input, context);
    const result = await generateStructured(
      model,
      riskAnalysisOutput,
      settings,
      { prompt: RISK_ANALYSIS_PROMPT, system: SYSTEM, documents: [document] },
      context,
    );
    return withMetadata(result);
  };
}

/** The structure RISK_ANALYSIS returns (and asks the model for). */
import { z } from 'zod';
import { level, outputText } from '../output-fields.ts';

export const riskAnalysisOutputSchema = z.object({
  risks: z
    .array(
      z.object({
        category: outputText(200, 'A short category, e.g. financial, legal, operational, technical, schedule, security.'),
        description: outputText(4_000, 'The risk: what could go wrong, and what in the document points to it.'),
        likelihood: level('How likely the risk is to materialise.'),
        impact: level('How bad it would be if it did.'),
        mitigation: outputText(4_000, 'What would reduce the likelihood or the impact.'),
      }),
    )
    .max(100)
    .describe('The risks, most serious first. Empty when the document shows none.'),
});

export type RiskAnalysisOutput = z.infer<typeof riskAnalysisOutputSchema>;

/**
 * RISK_ANALYSIS's result: what its model must reply (the tool's input schema, compiled for the worker by
 * compile.ts); the stored result adds `metadata` (results.ts). Loaded by the OpenAPI document and
 * at build time, never by the worker.
 */
import * as z from 'zod';
import { level, outputList, outputText } from '../output-fields.ts';

export const output = z.object({
  risks: outputList(
    z.object({
      category: outputText(200, 'A short category, e.g. financial, legal, operational, technical, schedule, security.'),
      description: outputText(4_000, 'The risk: what could go wrong, and what in the document points to it.'),
      likelihood: level('How likely the risk is to materialise.'),
      impact: level('How bad it would be if it did.'),
      mitigation: outputText(4_000, 'What would reduce the likelihood or the impact.'),
    }),
    100,
    'The risks, most serious first. Empty when the document shows none.',
  ),
});

/**
 * RISK_ANALYSIS in the worker: sends the document (the input text, the uploaded file or the
 * sources' results) and records its risks.
 */
import type { z } from 'zod';
import { subjectDocument } from '../sources.ts';
import { structuredJobType } from '../structured.ts';
import type { InputOf } from '../job-type-worker.ts';
import type { definition } from './index.ts';
import type { output } from './result.ts';

export const worker = structuredJobType<InputOf<typeof definition>, z.infer<typeof output>>('RISK_ANALYSIS', {
  role: 'You are a risk analyst.',
  prompt: [
    'Identify the risks described in, or clearly implied by, the attached document.',
    'For each risk record: category (e.g. financial, legal, operational, technical, schedule, security), ' +
      'description (what could go wrong, and what in the document points to it), likelihood and impact (low, medium or high) ' +
      'and mitigation (what would reduce the likelihood or the impact).',
    'Order the risks from most to least serious. Do not invent risks the document gives no ground for; if there are none, record an empty list.',
  ].join('\n\n'),
  document: subjectDocument,
  tool: { name: 'record_risks', description: 'Records the risks found in the document, with likelihood, impact and mitigation.' },
  render: ({ risks }) =>
    risks.length === 0
      ? 'Risks found: none.'
      : [
          'Risks found:',
          ...risks.map(
            (risk) =>
              `- [${risk.category}; likelihood ${risk.likelihood}, impact ${risk.impact}] ${risk.description}\n  Mitigation: ${risk.mitigation}`,
          ),
        ].join('\n'),
});

/**
 * GAP_DETECTION in the worker: sends the document (the input text, the uploaded file or the
 * sources' results) with the required topics and/or the question, and records the gaps.
 */
import type { z } from 'zod';
import { subjectDocument } from '../sources.ts';
import { structuredJobType } from '../structured.ts';
import type { InputOf } from '../job-type-worker.ts';
import type { definition } from './index.ts';
import type { output } from './result.ts';

export const worker = structuredJobType<InputOf<typeof definition>, z.infer<typeof output>>('GAP_DETECTION', {
  role: 'You review documents for completeness: you find what they are missing, not what they get wrong.',
  prompt: (input) => {
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
  },
  document: subjectDocument,
  tool: { name: 'record_gaps', description: 'Records what the document is missing against the required topics or the question.' },
  render: ({ gaps }) =>
    gaps.length === 0
      ? 'Gaps found: none.'
      : ['Gaps found:', ...gaps.map((gap) => `- [${gap.severity} severity] ${gap.area}: ${gap.description}`)].join('\n'),
});

/** REPORT_GENERATION in the worker: sends the sources' results and records one Markdown report. */
import type { z } from 'zod';
import { sourcesDocument } from '../sources.ts';
import { structuredJobType } from '../structured.ts';
import type { InputOf } from '../job-type-worker.ts';
import type { definition } from './index.ts';
import type { output } from './result.ts';

export const worker = structuredJobType<InputOf<typeof definition>, z.infer<typeof output>>('REPORT_GENERATION', {
  role: 'You write clear, well-structured reports in Markdown.',
  prompt: (input) => {
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
  },
  document: (input, context, renderSource) => sourcesDocument(input.sourceJobIds, context, renderSource),
  tool: { name: 'record_report', description: 'Records the report: its title and its body in Markdown.' },
  // A title the input gives is the report's title, whatever the model proposes.
  finish: (report, input) => (input.title !== undefined ? { ...report, title: input.title } : report),
  render: ({ title, markdown }) => `Report: ${title}\n\n${markdown}`,
});

/**
 * PARSE_DOCUMENT in the worker: sends the document to the model as a document content block (a
 * file as its decoded or uploaded bytes, text as a `txt` document) and records its structure.
 */
import type { z } from 'zod';
import { DOCUMENT_NAMES, SOURCE_PROGRESS } from '../sources.ts';
import { structuredJobType, textDocument } from '../structured.ts';
import type { InputOf } from '../job-type-worker.ts';
import type { definition } from './index.ts';
import type { output } from './result.ts';

export const worker = structuredJobType<InputOf<typeof definition>, z.infer<typeof output>>('PARSE_DOCUMENT', {
  role: 'You read documents and record their structure faithfully.',
  prompt: [
    'Read the attached document and record its structure:',
    "- title: the document's own title, or a short descriptive title if it has none;",
    '- summary: what the document is about and its main points, in 2 to 5 sentences;',
    "- sections: the document's sections in order, each with its heading and its content (kept as written when short, condensed to its key points when long).",
    'Use only what the document says.',
  ].join('\n'),
  // A file's bytes (decoded, or the upload's) or the text as UTF-8 `txt`, under a neutral name:
  // Converse reads the name as part of the prompt, so the client's file name is not sent.
  document: async ({ text, document }, context) => {
    await context.reportProgress(SOURCE_PROGRESS.sendingDocument);
    const block =
      document === undefined
        ? textDocument(DOCUMENT_NAMES.document, 'txt', text ?? '')
        : {
            name: DOCUMENT_NAMES.document,
            format: document.format,
            bytes: document.base64 !== undefined ? new Uint8Array(Buffer.from(document.base64, 'base64')) : await context.loadDocument(),
          };
    context.logger.info('document prepared', { format: block.format, bytes: block.bytes.byteLength });
    return block;
  },
  tool: { name: 'record_document_structure', description: "Records the document's title, a summary and its sections." },
  render: ({ title, summary, sections }) =>
    [`Title: ${title}`, `Summary: ${summary}`, ...sections.map((section) => `Section: ${section.heading}\n${section.text}`)].join('\n\n'),
});

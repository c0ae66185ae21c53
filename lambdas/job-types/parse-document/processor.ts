/**
 * The PARSE_DOCUMENT processor: sends the document to the model as a document content block (a
 * file as its decoded bytes, text as a `txt` document) and returns its structure.
 */
import type { Processor, ProcessorContext } from '../../domain/job-types.ts';
import type { ModelDocument, StructuredModel } from '../../domain/model.ts';
import type { ModelSettings } from '../model-settings.ts';
import { systemPrompt } from '../prompts.ts';
import { DOCUMENT_NAMES, SOURCE_PROGRESS } from '../sources.ts';
import { generateStructured, structuredOutput, textDocument, withMetadata } from '../structured.ts';
import type { ParseDocumentInput } from './definition.ts';
import { parseDocumentOutputSchema } from './output.ts';

export const parseDocumentOutput = structuredOutput({
  jobType: 'PARSE_DOCUMENT',
  toolName: 'record_document_structure',
  toolDescription: "Records the document's title, a summary and its sections.",
  schema: parseDocumentOutputSchema,
});

const SYSTEM = systemPrompt('You read documents and record their structure faithfully.', parseDocumentOutput.tool.name);

const PROMPT = [
  'Read the attached document and record its structure:',
  "- title: the document's own title, or a short descriptive title if it has none;",
  '- summary: what the document is about and its main points, in 2 to 5 sentences;',
  "- sections: the document's sections in order, each with its heading and its content (kept as written when short, condensed to its key points when long).",
  'Use only what the document says.',
].join('\n');

/**
 * The document block: a file's bytes (decoded, or the upload's), or the text as UTF-8 `txt`. The
 * name is neutral: Converse reads it as part of the prompt, so the client's file name is not sent.
 */
export async function inputDocument(input: ParseDocumentInput, context: Pick<ProcessorContext, 'loadDocument'>): Promise<ModelDocument> {
  const { document } = input;
  if (document !== undefined) {
    const bytes = document.base64 !== undefined ? new Uint8Array(Buffer.from(document.base64, 'base64')) : await context.loadDocument();
    return { name: DOCUMENT_NAMES.document, format: document.format, bytes };
  }
  return textDocument(DOCUMENT_NAMES.document, 'txt', input.text ?? '');
}

export function createParseDocumentProcessor(model: StructuredModel, settings: ModelSettings): Processor<ParseDocumentInput> {
  return async (input, context) => {
    await context.reportProgress(SOURCE_PROGRESS.sendingDocument);
    const document = await inputDocument(input, context);
    context.logger.info('document prepared', { format: document.format, bytes: document.bytes.byteLength });

    const result = await generateStructured(model, parseDocumentOutput, settings, { prompt: PROMPT, system: SYSTEM, documents: [document] }, context);
    return withMetadata(result);
  };
}

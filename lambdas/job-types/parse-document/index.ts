/**
 * PARSE_DOCUMENT: reads one document (plain text, or a PDF, DOCX, TXT, MD, CSV or HTML file,
 * inline in base64 or uploaded) and returns its title, a summary and its sections. What the API
 * and `cdk synth` need (API-safe); the worker's part is worker.ts.
 */
import { defineJobType } from '../../domain/job-types.ts';
import { documentInputSchema, documentText, documentUploads, exactlyOneOf, strictInput } from '../input-fields.ts';

const input = strictInput('input', {
  /** The document as plain text (at most 150 KB of UTF-8). */
  text: documentText('text').optional(),
  /**
   * The document as a file: inline `{ name, format, base64 }` (at most 150 KB decoded), or
   * uploaded `{ uploadId, format }` (POST /api/uploads, up to 4.5 MB).
   */
  document: documentInputSchema.optional(),
}).superRefine(
  exactlyOneOf<{ text?: unknown; document?: unknown }>(
    ['text', 'document'],
    'the document, either as text (a string) or as document ({ name, format, base64 } or { uploadId, format })',
  ),
);

export const definition = defineJobType({
  name: 'PARSE_DOCUMENT',
  description:
    'Reads a document (text, or a PDF, DOCX, TXT, MD, CSV or HTML file, inline in base64 or uploaded) and returns its title, a summary and its sections.',
  input,
  timeoutSeconds: 90,
  /**
   * A document of up to 4.5 MB is the heaviest model call here (its pages become input tokens,
   * and Bedrock's tokens-per-minute quota is the account's): ten at a time per caller, so one
   * caller's batch of documents cannot hold the model's quota for everyone else.
   */
  maxActivePerCaller: 10,
  uploads: (value) => documentUploads(value.document),
});

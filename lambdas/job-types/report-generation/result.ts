/**
 * REPORT_GENERATION's result: what its model must reply (the tool's input schema, compiled for the worker by
 * compile.ts); the stored result adds `metadata` (results.ts). Loaded by the OpenAPI document and
 * at build time, never by the worker.
 */
import * as z from 'zod';
import { outputText } from '../output-fields.ts';

export const output = z.object({
  title: outputText(300, "The report's title."),
  markdown: outputText(100_000, 'The report body in Markdown, without the title as a heading.'),
});

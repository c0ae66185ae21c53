/**
 * Bedrock Converse's limits as the adapter, the uploads, the job inputs and the local stand-in
 * share them: the values Bedrock documents, and the name and tool rules on examples.
 */
import { describe, expect, it } from 'vitest';
import {
  BEDROCK_DOCUMENT_FORMATS,
  DOCUMENT_NAME_DISALLOWED,
  isBedrockDocumentName,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENT_NAME_LENGTH,
  MAX_DOCUMENT_SIZE_TEXT,
  MAX_DOCUMENTS,
  TOOL_NAME_PATTERN,
} from '../../../lambdas/domain/bedrock-limits.ts';
import { DOCUMENT_FORMATS } from '../../../lambdas/domain/model.ts';
import { PAYLOADS } from '../../../lambdas/shared/resources.ts';

describe('Bedrock limits', () => {
  it('are the ones Bedrock documents for Converse documents', () => {
    expect(MAX_DOCUMENTS).toBe(5);
    expect(MAX_DOCUMENT_BYTES).toBe(4_718_592);
    expect(MAX_DOCUMENT_SIZE_TEXT).toBe('4.5 MB');
    expect(MAX_DOCUMENT_NAME_LENGTH).toBe(200);
    expect([...BEDROCK_DOCUMENT_FORMATS].sort()).toEqual(['csv', 'doc', 'docx', 'html', 'md', 'pdf', 'txt', 'xls', 'xlsx']);
  });

  it('bound what jobs take: formats among Bedrock\'s, uploads of at most one document\'s size', () => {
    for (const format of DOCUMENT_FORMATS) expect(BEDROCK_DOCUMENT_FORMATS, format).toContain(format);
    expect(PAYLOADS.uploadMaxBytes).toBe(MAX_DOCUMENT_BYTES);
  });

  it('accepts the document names Bedrock accepts and refuses those it refuses', () => {
    for (const name of ['Q3 report (final) [v2]-draft', 'tab\tand space', 'n'.repeat(200)]) expect(isBedrockDocumentName(name), name).toBe(true);
    for (const name of ['n'.repeat(201), '', 'notes.txt', 'two  spaces', 'line\r\nbreak', 'résumé', 'under_score']) {
      expect(isBedrockDocumentName(name), name).toBe(false);
    }
  });

  it('finds every run of characters a name may not hold', () => {
    expect('Q3 report.pdf: ../draft_2 (v1)'.replace(DOCUMENT_NAME_DISALLOWED, ' ')).toBe('Q3 report pdf draft 2 (v1)');
  });

  it('accepts the tool names Bedrock accepts and refuses those it refuses', () => {
    for (const name of ['record_report', 'a-b_C9', 't'.repeat(64)]) expect(TOOL_NAME_PATTERN.test(name), name).toBe(true);
    for (const name of ['t'.repeat(65), '', 'record report', 'record.report']) expect(TOOL_NAME_PATTERN.test(name), name).toBe(false);
  });
});

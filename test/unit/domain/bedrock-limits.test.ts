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

  it.each([
    ['Q3 report (final) [v2]-draft', true],
    ['tab\tand space', true],
    ['n'.repeat(200), true],
    ['n'.repeat(201), false],
    ['', false],
    ['notes.txt', false],
    ['two  spaces', false],
    ['line\r\nbreak', false],
    ['résumé', false],
    ['under_score', false],
  ])('document name %j: accepted %s', (name, accepted) => {
    expect(isBedrockDocumentName(name)).toBe(accepted);
  });

  it('finds every run of characters a name may not hold', () => {
    expect('Q3 report.pdf: ../draft_2 (v1)'.replace(DOCUMENT_NAME_DISALLOWED, ' ')).toBe('Q3 report pdf draft 2 (v1)');
  });

  it.each([
    ['record_report', true],
    ['a-b_C9', true],
    ['t'.repeat(64), true],
    ['t'.repeat(65), false],
    ['', false],
    ['record report', false],
    ['record.report', false],
  ])('tool name %j: accepted %s', (name, accepted) => {
    expect(TOOL_NAME_PATTERN.test(name)).toBe(accepted);
  });
});

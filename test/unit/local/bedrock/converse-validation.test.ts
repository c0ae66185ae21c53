/**
 * The Bedrock stand-in rejects what Bedrock rejects, with a 400 ValidationException: malformed
 * bodies and directives, blank text, document names, counts, sizes and formats beyond Bedrock's
 * limits (lambdas/domain/bedrock-limits.ts), malformed tool configurations.
 */
import { describe, expect, it } from 'vitest';
import {
  BEDROCK_DOCUMENT_FORMATS,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENT_NAME_LENGTH,
  MAX_DOCUMENTS,
} from '../../../../lambdas/domain/bedrock-limits.ts';
import { NonRetryableError } from '../../../../lambdas/domain/errors.ts';
import { converseBody, documentBlock, rejectionOf, useStandIn } from './fixture.ts';

const bedrock = useStandIn();

/** `count` one-word text documents named a, b, c, ... */
function manyDocuments(count: number): unknown[] {
  return Array.from({ length: count }, (_, index) => documentBlock(String.fromCharCode(97 + index), 'x'));
}

/** A document block of `size` bytes of "a". */
function bytesBlock(name: string, size: number): unknown {
  return { document: { name, format: 'txt', source: { bytes: Buffer.alloc(size, 'a').toString('base64') } } };
}

describe('Bedrock stand-in: request validation', () => {
  it('rejects blank text blocks as Bedrock does (ValidationException, non-retryable)', async () => {
    const error = await rejectionOf(bedrock.model.generate({ prompt: '   ' }));
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toMatch(/^Bedrock API error: ValidationException - The text field in the ContentBlock object at messages\.0\.content\.0 is blank/);
  });

  it('answers malformed requests with 400 ValidationException', async () => {
    const bodies = [
      '{"messages": [',
      '[]',
      '{}',
      '{"messages": []}',
      '{"messages": [{"role": "robot", "content": [{"text": "x"}]}]}',
      '{"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"maxTokens": 0}}',
      '{"messages": [{"role": "user", "content": [{"text": "x [[delay:soon]]"}]}]}',
      '{"messages": [{"role": "user", "content": [{"text": "x [[fail:]]"}]}]}',
    ];
    for (const body of bodies) {
      const { status, headers, json } = await bedrock.postConverse('/model/m/converse', body);
      expect(status, body).toBe(400);
      expect(headers.get('x-amzn-errortype'), body).toBe('ValidationException');
      expect(json).toEqual({ message: expect.any(String) });
    }
  });

  it('rejects what Bedrock rejects: invalid document names, documents without a text block, too many documents', async () => {
    const doc = documentBlock('notes', 'hello');
    const bodies: Array<[string, string]> = [
      ['bad name', converseBody([documentBlock('notes.txt', 'hello'), { text: 'Read' }])],
      ['double space', converseBody([documentBlock('my  notes', 'hello'), { text: 'Read' }])],
      ['name too long', converseBody([documentBlock('n'.repeat(MAX_DOCUMENT_NAME_LENGTH + 1), 'hello'), { text: 'Read' }])],
      ['no text block', converseBody([doc])],
      ['duplicate names', converseBody([doc, doc, { text: 'Read' }])],
      ['too many documents', converseBody([...manyDocuments(MAX_DOCUMENTS + 1), { text: 'Read' }])],
      ['unknown format', converseBody([documentBlock('notes', 'hello', 'rtf'), { text: 'Read' }])],
      ['empty document', converseBody([documentBlock('notes', ''), { text: 'Read' }])],
      ['document too large', converseBody([bytesBlock('notes', MAX_DOCUMENT_BYTES + 1), { text: 'Read' }])],
    ];
    for (const [what, body] of bodies) {
      const { status, headers } = await bedrock.postConverse('/model/m/converse', body);
      expect(status, what).toBe(400);
      expect(headers.get('x-amzn-errortype'), what).toBe('ValidationException');
    }
  });

  it('accepts what is at Bedrock\'s limits: the most documents, the largest, the longest names, every format', async () => {
    const bodies: Array<[string, string]> = [
      ['most documents', converseBody([...manyDocuments(MAX_DOCUMENTS), { text: 'Read' }])],
      ['largest document', converseBody([bytesBlock('notes', MAX_DOCUMENT_BYTES), { text: 'Read' }])],
      ['longest name', converseBody([documentBlock('n'.repeat(MAX_DOCUMENT_NAME_LENGTH), 'hello'), { text: 'Read' }])],
      ['name characters', converseBody([documentBlock('Q3 (final) [v2]-draft', 'hello'), { text: 'Read' }])],
      ...BEDROCK_DOCUMENT_FORMATS.map((format): [string, string] => [format, converseBody([documentBlock('notes', 'hello', format), { text: 'Read' }])]),
    ];
    for (const [what, body] of bodies) {
      const { status, json } = await bedrock.postConverse('/model/m/converse', body);
      expect(status, what).toBe(200);
      expect(json, what).toMatchObject({ stopReason: 'end_turn' });
    }
  });

  it('rejects malformed tool configurations', async () => {
    const json = { type: 'object', properties: {} };
    const configs: Array<[string, unknown]> = [
      ['no tools', { tools: [] }],
      ['bad tool name', { tools: [{ toolSpec: { name: 'record report', inputSchema: { json } } }] }],
      ['no schema', { tools: [{ toolSpec: { name: 'record' } }] }],
      ['schema not an object', { tools: [{ toolSpec: { name: 'record', inputSchema: { json: { anyOf: [json] } } } }] }],
      ['duplicate tools', { tools: [{ toolSpec: { name: 'a', inputSchema: { json } } }, { toolSpec: { name: 'a', inputSchema: { json } } }] }],
      ['unknown forced tool', { tools: [{ toolSpec: { name: 'a', inputSchema: { json } } }], toolChoice: { tool: { name: 'b' } } }],
      ['bad tool choice', { tools: [{ toolSpec: { name: 'a', inputSchema: { json } } }], toolChoice: { auto: {}, any: {} } }],
    ];
    for (const [what, toolConfig] of configs) {
      const { status, headers } = await bedrock.postConverse('/model/m/converse', converseBody([{ text: 'Go' }], { toolConfig }));
      expect(status, what).toBe(400);
      expect(headers.get('x-amzn-errortype'), what).toBe('ValidationException');
    }
  });
});

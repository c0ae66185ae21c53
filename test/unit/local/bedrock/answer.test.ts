/**
 * The Bedrock stand-in's answers: labelled text with usage and stop reason, cut to maxTokens,
 * deterministic; tool calls whose input is valid against the tool's schema; documents read and
 * described.
 */
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../../lambdas/domain/errors.ts';
import type { ModelRequest, StructuredRequest } from '../../../../lambdas/domain/model.ts';
import {
  answerText,
  converseBody,
  documentBlock,
  LABEL,
  MODEL_ID,
  pdfDocument,
  rejectionOf,
  Report,
  REPORT_TOOL,
  textDocument,
  useStandIn,
  words,
} from './fixture.ts';

const bedrock = useStandIn();

describe('Bedrock stand-in: answers', () => {
  it('answers through the real adapter with a labelled text, usage and stop reason', async () => {
    const response = await bedrock.model.generate({ prompt: 'Summarise the quarterly report for the board', system: 'Be brief.' });

    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(response.text).toContain('Summarise the quarterly report for the board');
    expect(response.modelId).toBe(MODEL_ID);
    expect(response.stopReason).toBe('end_turn');
    expect(response.usage).toEqual({
      inputTokens: 7 + 2,
      outputTokens: words(response.text.slice(LABEL.length)).length,
    });
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('is deterministic: the same input gives the same answer, another input another one', async () => {
    const request: ModelRequest = { prompt: 'Write a haiku about queues', system: 'You are a poet.', maxTokens: 200 };
    const first = await bedrock.model.generate(request);
    const second = await bedrock.model.generate(request);
    const other = await bedrock.model.generate({ ...request, prompt: 'Write a haiku about tables' });

    expect(second.text).toBe(first.text);
    expect(second.usage).toEqual(first.usage);
    expect(second.stopReason).toBe(first.stopReason);
    expect(other.text).not.toBe(first.text);
  });

  it('cuts the answer to maxTokens words (stopReason max_tokens), keeping the label', async () => {
    const cut = await bedrock.model.generate({ prompt: 'Explain the design of the jobs API in detail', maxTokens: 5 });
    expect(cut.stopReason).toBe('max_tokens');
    expect(cut.text.startsWith(LABEL)).toBe(true);
    expect(words(cut.text.slice(LABEL.length))).toHaveLength(5);
    expect(cut.usage.outputTokens).toBe(5);

    const full = await bedrock.model.generate({ prompt: 'Explain the design of the jobs API in detail', maxTokens: 1000 });
    expect(full.stopReason).toBe('end_turn');
    expect(full.usage.outputTokens).toBeGreaterThan(5);
    expect(full.text.startsWith(cut.text)).toBe(true);
  });
});

describe('Bedrock stand-in: structured output (tool use)', () => {
  it('answers with a tool call whose input is valid against the zod schema it came from', async () => {
    const response = await bedrock.model.generateStructured({
      prompt: 'Write the incident report for the payments outage of Tuesday',
      system: 'You are an SRE.',
      tool: REPORT_TOOL,
    });

    const report = Report.parse(response.value);
    expect(report.title).toBe('[stand-in] title: Write the incident report for the');
    expect(report.sections).toHaveLength(2);
    expect(report.sections[0]?.heading).toMatch(/^\[stand-in\] sections\[0\]\.heading: /);
    expect(response.stopReason).toBe('tool_use');
    expect(response.modelId).toBe(MODEL_ID);
    expect(response.usage.inputTokens).toBe(11 + 3);
    expect(response.usage.outputTokens).toBeGreaterThan(0);
  });

  it('shows the schema zod 4 writes for it: a plain draft 2020-12 object, no $ref', () => {
    expect(REPORT_TOOL.inputSchema).toStrictEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        title: { type: 'string' },
        sections: {
          type: 'array',
          items: {
            type: 'object',
            properties: { heading: { type: 'string' }, text: { type: 'string' } },
            required: ['heading', 'text'],
            additionalProperties: false,
          },
        },
        severity: { type: 'string', enum: ['low', 'medium', 'high'] },
      },
      required: ['title', 'sections', 'severity'],
      additionalProperties: false,
    });
  });

  it('is deterministic: the same request gives the same value, another prompt another one', async () => {
    const request: StructuredRequest = { prompt: 'Report on the database failover drill', tool: REPORT_TOOL };
    const first = await bedrock.model.generateStructured(request);
    const second = await bedrock.model.generateStructured(request);
    const other = await bedrock.model.generateStructured({ ...request, prompt: 'Report on the cache eviction storm' });

    expect(second.value).toStrictEqual(first.value);
    expect(second.usage).toStrictEqual(first.usage);
    expect(other.value).not.toStrictEqual(first.value);
  });

  it('quotes a text document before the prompt, and counts its words as input', async () => {
    const response = await bedrock.model.generateStructured({
      prompt: 'Summarise the notes',
      documents: [textDocument('notes', 'Disk usage on the primary crossed ninety percent at noon')],
      tool: REPORT_TOOL,
    });

    const report = Report.parse(response.value);
    expect(report.title).toBe('[stand-in] title: Disk usage on the primary crossed');
    expect(response.usage.inputTokens).toBe(3 + 10);
  });

  it('reads the text of a tiny hand-made PDF', async () => {
    const pdf = pdfDocument('Quarterly revenue (EMEA) grew by twelve percent');
    const response = await bedrock.model.generateStructured({ prompt: 'Extract the facts', documents: [pdf], tool: REPORT_TOOL });

    expect(Report.parse(response.value).title).toBe('[stand-in] title: Quarterly revenue (EMEA) grew by twelve');
  });

  it('answers max_tokens with a cut call when the input exceeds maxTokens: the adapter retries', async () => {
    const error = await rejectionOf(bedrock.model.generateStructured({ prompt: 'Write a long report', maxTokens: 5, tool: REPORT_TOOL }));

    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('Bedrock returned no structured output (stopReason: max_tokens)');
  });

  it('answers the wire format of a tool call: the forced tool, else the first one', async () => {
    const tools = [
      { toolSpec: { name: 'first_tool', inputSchema: { json: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } } } },
      { toolSpec: { name: 'second_tool', inputSchema: { json: { type: 'object', properties: { n: { type: 'integer', minimum: 3, maximum: 3 } }, required: ['n'] } } } },
    ];
    const auto = await bedrock.postConverse('/model/m/converse', converseBody([{ text: 'Go' }], { toolConfig: { tools, toolChoice: { auto: {} } } }));
    const forced = await bedrock.postConverse('/model/m/converse', converseBody([{ text: 'Go' }], { toolConfig: { tools, toolChoice: { tool: { name: 'second_tool' } } } }));

    expect(auto.status).toBe(200);
    expect(auto.json).toEqual({
      output: {
        message: {
          role: 'assistant',
          content: [{ toolUse: { toolUseId: expect.stringMatching(/^tooluse_standin_[0-9a-f]{16}$/), name: 'first_tool', input: { ok: expect.any(Boolean) } } }],
        },
      },
      stopReason: 'tool_use',
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      metrics: { latencyMs: expect.any(Number) },
    });
    expect(forced.json).toMatchObject({ output: { message: { content: [{ toolUse: { name: 'second_tool', input: { n: 3 } } }] } } });
  });
});

describe('Bedrock stand-in: documents in text answers', () => {
  it('describes each document with its words, its format and its beginning', async () => {
    const body = converseBody([
      documentBlock('notes', 'Alpha beta gamma'),
      documentBlock('page', '<h1>Title &amp; more</h1><script>var x = 1;</script><p>Body&nbsp;text</p>', 'html'),
      { document: { name: 'scan', format: 'pdf', source: { bytes: Buffer.from(pdfDocument('compressed', { compressed: true }).bytes).toString('base64') } } },
      { text: 'Compare them' },
    ]);
    const { status, json } = await bedrock.postConverse('/model/m/converse', body);

    expect(status).toBe(200);
    const text = answerText(json);
    expect(text).toContain(
      'It comes with 3 documents: "notes" (txt, 3 words) beginning "Alpha beta gamma"; "page" (html, 5 words) beginning "Title & more Body text";',
    );
    expect(text).toMatch(/"scan" \(pdf, 3 words\) beginning "\[pdf, \d+ bytes\]"\.$/);
    expect((json as { usage: { inputTokens: number } }).usage.inputTokens).toBe(2 + 3 + 5 + 3);
  });

  it('keeps text answers without documents as they were', async () => {
    const { json } = await bedrock.postConverse('/model/m/converse', converseBody([{ text: 'one two three' }]));
    expect(answerText(json)).not.toContain('document');
  });
});

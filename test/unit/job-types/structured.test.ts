import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';
import { compiledSchema } from '../../../lambdas/job-types/compile.ts';
import {
  generateStructured,
  structuredOutput,
  textDocument,
  withMetadata,
} from '../../../lambdas/job-types/structured.ts';
import { loggedText, processorContext } from '../../support/processor-context.ts';
import { ScriptedModel, structuredResponse } from '../../support/scripted-model.ts';
import { SETTINGS } from './fixtures.ts';

const schema = z.object({
  answer: z.string().trim().min(1).max(20).describe('The answer.'),
  level: z.enum(['low', 'high']),
});

const output = structuredOutput<z.infer<typeof schema>>({
  jobType: 'TEST_TYPE',
  toolName: 'record_answer',
  toolDescription: 'Records the answer.',
  schema: compiledSchema('TEST_TYPE', 'output', schema),
});

const call = {
  prompt: 'Answer the question in the attached document.',
  system: 'You answer questions.',
  documents: [textDocument('document', 'txt', 'SECRET-DOCUMENT-CONTENT')],
};

const VALID = { answer: 'forty-two', level: 'high' };
const INVALID = { answer: '', level: 'extreme' };

describe('structuredOutput', () => {
  it('takes the compiled schema as the tool’s input schema: the zod schema’s JSON Schema, without $schema', () => {
    const { $schema, ...expected } = z.toJSONSchema(schema) as Record<string, unknown>;

    expect($schema).toBeDefined();
    expect(output.tool).toStrictEqual({ name: 'record_answer', description: 'Records the answer.', inputSchema: expected });
    expect(output.tool.inputSchema).toMatchObject({
      type: 'object',
      required: ['answer', 'level'],
      properties: { level: { enum: ['low', 'high'] }, answer: { maxLength: 20, description: 'The answer.' } },
    });
  });

  it('refuses a tool name Converse would reject', () => {
    expect(() => structuredOutput({ jobType: 'X', toolName: 'record answer', toolDescription: 'd', schema: output.tool.inputSchema })).toThrow(
      'Invalid tool name "record answer"',
    );
  });
});

describe('generateStructured', () => {
  it('sends the prompt, system prompt, documents, tool, model settings and the attempt signal', async () => {
    const model = new ScriptedModel().answer({ value: VALID });
    const { requests } = model;
    const { context } = processorContext();

    await generateStructured(model, output, SETTINGS, call, context);

    expect(requests).toHaveLength(1);
    expect(requests[0]).toStrictEqual({
      prompt: call.prompt,
      system: call.system,
      documents: call.documents,
      tool: output.tool,
      modelId: 'amazon.nova-pro-v1:0',
      maxTokens: 1500,
      temperature: 0.3,
      signal: context.signal,
    });
  });

  it('leaves the model id to the adapter when the settings name none', async () => {
    const model = new ScriptedModel().answer({ value: VALID });
    const { requests } = model;

    await generateStructured(model, output, { ...SETTINGS, modelId: undefined }, call, processorContext().context);

    expect(requests[0]).not.toHaveProperty('modelId');
  });

  it('returns the validated value (trimmed, unknown keys dropped) and the call metadata', async () => {
    const model = new ScriptedModel().answer({
      response: structuredResponse({ answer: '  forty-two ', level: 'high', extra: true }, { latencyMs: 700 }),
    });

    const result = await generateStructured(model, output, SETTINGS, call, processorContext().context);

    expect(result).toStrictEqual({
      value: { answer: 'forty-two', level: 'high' },
      metadata: { model: 'amazon.nova-pro-v1:0', usage: { inputTokens: 1200, outputTokens: 300 }, latencyMs: 700, modelCalls: 1 },
    });
  });

  it('reports "waiting for model" before the call and "validating output" after it', async () => {
    const events: string[] = [];
    const model = new ScriptedModel(events).answer({ value: VALID });
    const { context, progress } = processorContext({ events });

    await generateStructured(model, output, SETTINGS, call, context);

    expect(events).toStrictEqual(['progress 40', 'model', 'progress 80']);
    expect(progress).toStrictEqual([
      { percent: 40, message: 'waiting for model' },
      { percent: 80, message: 'validating output' },
    ]);
  });

  it('sends an invalid reply back once, saying what was wrong, and returns the corrected value', async () => {
    const model = new ScriptedModel().answer(
      { response: structuredResponse(INVALID, { usage: { inputTokens: 100, outputTokens: 10 }, latencyMs: 400 }) },
      { response: structuredResponse(VALID, { usage: { inputTokens: 150, outputTokens: 20 }, latencyMs: 500 }) },
    );
    const { requests } = model;
    const { context } = processorContext();

    const result = await generateStructured(model, output, SETTINGS, call, context);

    expect(requests).toHaveLength(2);
    const retryPrompt = requests[1]!.prompt;
    expect(retryPrompt.startsWith(`${call.prompt}\n\n`)).toBe(true);
    expect(retryPrompt).toContain('previous call to the record_answer tool was rejected');
    expect(retryPrompt).toContain('- answer: Too small');
    expect(retryPrompt).toContain('- level: Invalid option');
    expect(requests[1]).toMatchObject({ documents: call.documents, tool: output.tool, system: call.system });
    expect(requests[1]!.signal).toBe(context.signal);
    expect(result).toStrictEqual({
      value: VALID,
      metadata: { model: 'amazon.nova-pro-v1:0', usage: { inputTokens: 250, outputTokens: 30 }, latencyMs: 900, modelCalls: 2 },
    });
  });

  it('reports "asking the model again" before the second call, and each step once', async () => {
    const events: string[] = [];
    const model = new ScriptedModel(events).answer({ value: INVALID }, { value: VALID });
    const { context, progress } = processorContext({ events });

    await generateStructured(model, output, SETTINGS, call, context);

    expect(events).toStrictEqual(['progress 40', 'model', 'progress 80', 'progress 85', 'model']);
    expect(progress[2]).toStrictEqual({ percent: 85, message: 'asking the model again' });
  });

  it('fails the attempt with a RetryableError naming the problems after two invalid replies', async () => {
    const model = new ScriptedModel().answer({ value: INVALID }, { value: { answer: 'ok' } });
    const { requests } = model;

    const failure = await generateStructured(model, output, SETTINGS, call, processorContext().context).catch((error) => error);

    expect(requests).toHaveLength(2);
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.message).toBe(
      "The model's reply did not match the TEST_TYPE result schema, twice in this attempt " +
        '(level: Invalid option: expected one of "low"|"high"); the next attempt may do better.',
    );
  });

  it('says the reply was cut off when the model stopped at max tokens', async () => {
    const model = new ScriptedModel().answer({ response: structuredResponse(undefined, { stopReason: 'max_tokens' }) });

    const failure = await generateStructured(model, output, SETTINGS, call, processorContext().context).catch((error) => error);

    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.message).toContain('(the arguments): Invalid input: expected object, received undefined');
    expect(failure.message).toContain(
      'The reply was cut off at 1500 output tokens; consider raising BEDROCK_MAX_TOKENS_TEST_TYPE.',
    );
  });

  it('lets a model failure through unchanged, without a second call', async () => {
    const denied = new NonRetryableError('Bedrock API error: AccessDeniedException - no access');
    const model = new ScriptedModel().answer({ error: denied });
    const { requests } = model;

    await expect(generateStructured(model, output, SETTINGS, call, processorContext().context)).rejects.toBe(denied);
    expect(requests).toHaveLength(1);
  });

  it('logs usage and latency of each call but never the prompt, the document or the reply', async () => {
    const model = new ScriptedModel().answer(
      { value: { answer: 'SECRET-REPLY-CONTENT-TOO-LONG-FOR-THE-SCHEMA', level: 'high' } },
      { value: { answer: 'SECRET-REPLY', level: 'low' } },
    );
    const { context, logger } = processorContext();

    await generateStructured(model, output, SETTINGS, call, context);

    expect(logger.info.mock.calls).toStrictEqual([
      [
        'model call finished',
        {
          jobType: 'TEST_TYPE',
          call: 1,
          modelId: 'amazon.nova-pro-v1:0',
          inputTokens: 1200,
          outputTokens: 300,
          stopReason: 'tool_use',
          latencyMs: 900,
          valid: false,
        },
      ],
      ['model call finished', expect.objectContaining({ call: 2, valid: true })],
    ]);
    expect(logger.warn).toHaveBeenCalledWith('model reply did not match the schema', {
      jobType: 'TEST_TYPE',
      call: 1,
      issues: ['answer: Too big: expected string to have <=20 characters'],
    });
    const logged = loggedText(logger);
    expect(logged).not.toContain('SECRET');
    expect(logged).not.toContain(call.prompt);
  });
});

describe('withMetadata', () => {
  it('puts the metadata next to the value, the model calls published as `attempts`', () => {
    const usage = { inputTokens: 1, outputTokens: 2 };

    const result = withMetadata({ value: VALID, metadata: { model: 'm', usage, latencyMs: 3, modelCalls: 2 } });

    expect(result).toStrictEqual({ ...VALID, metadata: { model: 'm', usage, latencyMs: 3, attempts: 2 } });
  });
});

describe('textDocument', () => {
  it('encodes the text as UTF-8 bytes', () => {
    const document = textDocument('document', 'txt', 'déjà vu');

    expect(document.name).toBe('document');
    expect(document.format).toBe('txt');
    expect(Buffer.from(document.bytes).toString('utf8')).toBe('déjà vu');
    expect(document.bytes.byteLength).toBe(9);
  });
});

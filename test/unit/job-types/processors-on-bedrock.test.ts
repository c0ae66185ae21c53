/**
 * Every structured job type run through the real BedrockModel adapter over a mocked Bedrock
 * Runtime client (aws-sdk-client-mock): the Converse request each processor builds (tool, JSON
 * schema, document block, inference settings), output validation, and how Bedrock errors are
 * classified.
 */
import { BedrockRuntimeClient, ConverseCommand, type ConverseCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BedrockModel } from '../../../lambdas/adapters/bedrock-model.ts';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';
import type { JobType } from '../../../lambdas/domain/job-types.ts';
import { createJobTypes } from '../../../lambdas/job-types/processors.ts';
import { processorContext } from '../../support/processor-context.ts';
import { PDF, SOURCES, STRUCTURED_CASES, checkedInput, firstInput } from './fixtures.ts';

const bedrock = mockClient(BedrockRuntimeClient);

function toolReply(name: string, input: unknown): ConverseCommandOutput {
  return {
    output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 'tool-1', name, input: input as never } }] } },
    stopReason: 'tool_use',
    usage: { inputTokens: 120, outputTokens: 40, totalTokens: 160 },
    metrics: { latencyMs: 9 },
    $metadata: {},
  };
}

function sdkError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from the mock`), { name, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' });
}

let types: Map<string, JobType<any>>;

beforeEach(() => {
  bedrock.reset();
  const model = new BedrockModel({ defaultModelId: 'amazon.nova-lite-v1:0', client: new BedrockRuntimeClient({ region: 'us-east-1' }) });
  const env = { BEDROCK_MODEL_ID_REPORT_GENERATION: 'amazon.nova-pro-v1:0', BEDROCK_TEMPERATURE: '0.1' };
  types = new Map(createJobTypes({ model }, env).map((type) => [type.name, type]));
});

async function run(type: string, input: unknown) {
  const jobType = types.get(type)!;
  const { context } = processorContext({ sources: SOURCES, document: new Uint8Array(PDF) });
  return jobType.process(checkedInput(jobType, input), context);
}

describe.each(STRUCTURED_CASES.map((testCase) => ({ ...testCase, input: firstInput(testCase), tool: testCase.worker.output.tool })))('$type on Bedrock', (testCase) => {
  it('sends one Converse call that forces its tool, with the JSON schema derived from the result schema', async () => {
    bedrock.on(ConverseCommand).resolves(toolReply(testCase.tool.name, testCase.valid));
    await run(testCase.type, testCase.input);
    const calls = bedrock.commandCalls(ConverseCommand);
    expect(calls).toHaveLength(1);
    const request = calls[0]!.args[0].input;
    expect(request.toolConfig).toEqual({
      tools: [{ toolSpec: { name: testCase.tool.name, description: testCase.tool.description, inputSchema: { json: testCase.tool.inputSchema } } }],
      toolChoice: { tool: { name: testCase.tool.name } },
    });
    expect(testCase.tool.inputSchema).toMatchObject({ type: 'object', required: expect.any(Array) });
    expect(request.modelId).toBe(testCase.type === 'REPORT_GENERATION' ? 'amazon.nova-pro-v1:0' : 'amazon.nova-lite-v1:0');
    expect(request.inferenceConfig?.temperature).toBe(0.1);
    const content = request.messages?.[0]?.content ?? [];
    expect(content.filter((block) => 'document' in block && block.document !== undefined)).toHaveLength(1);
    expect(content.at(-1)).toHaveProperty('text');
  });

  it('returns the validated value with the model metadata', async () => {
    bedrock.on(ConverseCommand).resolves(toolReply(testCase.tool.name, testCase.valid));
    const { metadata, ...value } = await run(testCase.type, testCase.input);
    expect(metadata).toMatchObject({ model: expect.any(String), usage: { inputTokens: 120, outputTokens: 40 }, attempts: 1 });
    expect(value).toEqual(testCase.valid);
  });

  it('sends an invalid reply back once, then accepts a valid one', async () => {
    bedrock
      .on(ConverseCommand)
      .resolvesOnce(toolReply(testCase.tool.name, testCase.invalid))
      .resolves(toolReply(testCase.tool.name, testCase.valid));
    const result = await run(testCase.type, testCase.input);
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(2);
    expect(result).toMatchObject({ metadata: { attempts: 2, usage: { inputTokens: 240, outputTokens: 80 } } });
    const retryText = bedrock.commandCalls(ConverseCommand)[1]!.args[0].input.messages?.[0]?.content?.at(-1);
    expect(JSON.stringify(retryText)).toContain('was rejected');
  });

  it('fails the attempt with a retryable error after two invalid replies', async () => {
    bedrock.on(ConverseCommand).resolves(toolReply(testCase.tool.name, testCase.invalid));
    const error = await run(testCase.type, testCase.input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toContain(`did not match the ${testCase.type} result schema`);
  });

  it.each([
    ['ThrottlingException', 429, RetryableError],
    ['ServiceUnavailableException', 503, RetryableError],
    ['ValidationException', 400, NonRetryableError],
    ['AccessDeniedException', 403, NonRetryableError],
  ] as const)('classifies %s as %s', async (name, status, expected) => {
    bedrock.on(ConverseCommand).rejects(sdkError(name, status));
    const error = await run(testCase.type, testCase.input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).message).toMatch(new RegExp(`^Bedrock API error: ${name} - `));
  });
});

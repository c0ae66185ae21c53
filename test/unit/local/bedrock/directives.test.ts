/**
 * Fault directives of the Bedrock stand-in (README: "Fault directives for the Bedrock stand-in"):
 * [[fail:<Error>:<n>]] counted per job, [[delay:<ms>]], [[words:<n>]], in prompts, system prompts and
 * text documents, and what the SDK and the adapter make of each injected error.
 */
import * as sdk from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it, vi } from 'vitest';
import { NonRetryableError, RetryableError } from '../../../../lambdas/domain/errors.ts';
import type { ModelRequest, StructuredRequest } from '../../../../lambdas/domain/model.ts';
import { MAX_DELAY_MS } from '../../../../lib/local/bedrock-stand-in.ts';
import { sdkErrorClass } from '../../../support/bedrock-errors.ts';
import { LABEL, MODEL_ID, pdfDocument, rejectionOf, Report, REPORT_TOOL, textDocument, useStandIn, words } from './fixture.ts';

const bedrock = useStandIn();

describe('Bedrock stand-in: fault injection', () => {
  it('[[fail:ThrottlingException:2]] fails the first two calls of that job, then answers', async () => {
    const request: ModelRequest = { prompt: 'Job 7f3a: summarise the logs [[fail:ThrottlingException:2]]' };
    const callsBefore = bedrock.standIn.calls;

    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const error = await rejectionOf(bedrock.model.generate(request));
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.message).toBe('Bedrock API error: ThrottlingException - Rate exceeded (stand-in fault injection)');
      expect(error.cause).toBeInstanceOf(sdk.ThrottlingException);
      expect((error.cause as sdk.ThrottlingException).$metadata.httpStatusCode).toBe(429);
    }
    const response = await bedrock.model.generate(request);
    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(response.text).not.toContain('[[');
    expect(response.text).toContain('Job 7f3a: summarise the logs');
    expect(response.usage.inputTokens).toBe(5);
    // maxAttempts 1: one HTTP call per generate().
    expect(bedrock.standIn.calls - callsBefore).toBe(3);
  });

  it('[[fail:ValidationException]] fails every call with a NonRetryableError', async () => {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const error = await rejectionOf(bedrock.model.generate({ prompt: 'Bad input [[fail:ValidationException]]' }));
      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toBe('Bedrock API error: ValidationException - Input validation failed (stand-in fault injection)');
    }
  });

  it('counts calls per job: other prompts (or model ids) have their own counters', async () => {
    const jobA: ModelRequest = { prompt: 'Job A [[fail:ServiceUnavailableException:2]]' };
    const jobB: ModelRequest = { prompt: 'Job B [[fail:ServiceUnavailableException:2]]' };
    const jobAOtherModel: ModelRequest = { ...jobA, modelId: 'amazon.nova-pro-v1:0' };

    await expect(bedrock.model.generate(jobA)).rejects.toBeInstanceOf(RetryableError);
    await expect(bedrock.model.generate(jobB)).rejects.toBeInstanceOf(RetryableError);
    await expect(bedrock.model.generate(jobA)).rejects.toBeInstanceOf(RetryableError);
    await expect(bedrock.model.generate(jobAOtherModel)).rejects.toBeInstanceOf(RetryableError);
    await expect(bedrock.model.generate(jobA)).resolves.toMatchObject({ stopReason: 'end_turn' });
    await expect(bedrock.model.generate(jobB)).rejects.toBeInstanceOf(RetryableError);
    await expect(bedrock.model.generate(jobB)).resolves.toMatchObject({ stopReason: 'end_turn' });
    await expect(bedrock.model.generate(jobAOtherModel)).rejects.toBeInstanceOf(RetryableError);
    await expect(bedrock.model.generate(jobAOtherModel)).resolves.toMatchObject({ modelId: 'amazon.nova-pro-v1:0' });
  });

  it('reads directives in the system prompt too, and strips them from the answer', async () => {
    const request: ModelRequest = { prompt: 'Plain prompt', system: 'Be terse. [[fail:ModelTimeoutException:1]]' };
    await expect(bedrock.model.generate(request)).rejects.toThrow('Bedrock API error: ModelTimeoutException - ');
    const response = await bedrock.model.generate(request);
    expect(response.text).not.toContain('[[');
    expect(response.usage.inputTokens).toBe(2 + 2);
  });

  it('[[delay:300]] answers after at least 300 ms', async () => {
    const startedAt = performance.now();
    const response = await bedrock.model.generate({ prompt: 'Slow job [[delay:300]]' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(300);
    expect(response.latencyMs).toBeGreaterThanOrEqual(300);
    expect(response.text).not.toContain('[[');
  });

  it('[[words:2000]] lengthens a text answer by that many words, still cut to maxTokens', async () => {
    const plain = await bedrock.model.generate({ prompt: 'Harvest notes' });
    const long = await bedrock.model.generate({ prompt: 'Harvest notes [[words:2000]]' });
    expect(words(long.text).length - words(plain.text).length).toBe(2000);
    expect(long.text).toContain('Harvest#1 notes#2');
    expect(long.text).not.toContain('[[');
    expect(long.usage.outputTokens).toBe(plain.usage.outputTokens + 2000);
    const cut = await bedrock.model.generate({ prompt: 'Harvest notes [[words:2000]]', maxTokens: 100 });
    expect(cut).toMatchObject({ stopReason: 'max_tokens', usage: { outputTokens: 100 } });
  });

  it('an aborted call ends early with the abort reason, and the stand-in drops it cleanly', async () => {
    const controller = new AbortController();
    const reason = new Error('attempt deadline reached');
    setTimeout(() => controller.abort(reason), 50);

    const startedAt = performance.now();
    const error = await rejectionOf(bedrock.model.generate({ prompt: 'Cancelled job [[delay:5000]]', signal: controller.signal }));
    expect(error).toBe(reason);
    expect(performance.now() - startedAt).toBeLessThan(1000);
    await vi.waitFor(() => expect(bedrock.logLines.some((line) => line.includes('dropped during the 5000 ms delay'))).toBe(true));

    await expect(bedrock.model.generate({ prompt: 'After the abort' })).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  it('caps delays', () => {
    expect(MAX_DELAY_MS).toBe(120_000);
  });

  /** The HTTP status of each `[[fail:<directive>]]`, by whether the adapter retries it. */
  const RETRIED = { ThrottlingException: 429, ServiceUnavailableException: 503, InternalServerException: 500, ModelTimeoutException: 408, ModelNotReadyException: 429, ServiceQuotaExceededException: 400, 'ModelErrorException@503': 424 };
  const NOT_RETRIED = { ValidationException: 400, AccessDeniedException: 403, ResourceNotFoundException: 404, ConflictException: 400, ModelErrorException: 424, MysteryException: 400 };
  const cases = [
    ...Object.entries(RETRIED).map(([directive, status]) => ({ directive, status, domainClass: RetryableError })),
    ...Object.entries(NOT_RETRIED).map(([directive, status]) => ({ directive, status, domainClass: NonRetryableError })),
  ].map((testCase) => {
    const name = testCase.directive.split('@')[0] ?? '';
    // An unknown name reaches the caller as the SDK's base class, named as the stand-in named it.
    return { ...testCase, name, sdkClass: name === 'MysteryException' ? sdk.BedrockRuntimeServiceException : sdkErrorClass(name) };
  });

  it.each(cases)('[[fail:$directive]] → HTTP $status, SDK $name, adapter $domainClass.name', async (testCase) => {
    const error = await rejectionOf(bedrock.model.generate({ prompt: `Mapping test [[fail:${testCase.directive}]]` }));

    expect(error).toBeInstanceOf(testCase.domainClass);
    expect(error.message).toMatch(new RegExp(`^Bedrock API error: ${testCase.name} - .+ \\(stand-in fault injection\\)$`));
    const cause = error.cause as sdk.BedrockRuntimeServiceException;
    expect(cause).toBeInstanceOf(testCase.sdkClass);
    expect(cause.name).toBe(testCase.name);
    expect(cause.$metadata.httpStatusCode).toBe(testCase.status);
    if (testCase.name === 'ModelErrorException') {
      const modelError = cause as sdk.ModelErrorException;
      expect(modelError.originalStatusCode).toBe(testCase.directive.endsWith('@503') ? 503 : 400);
      expect(modelError.resourceName).toBe(MODEL_ID);
    }
  });

  it('reads fault directives inside a text document and keeps them out of the value', async () => {
    const request: StructuredRequest = {
      prompt: 'Summarise the attached log',
      documents: [textDocument('log', 'Job 5c1e: error rate spiked [[fail:ThrottlingException:1]] then recovered')],
      tool: REPORT_TOOL,
    };

    const error = await rejectionOf(bedrock.model.generateStructured(request));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('Bedrock API error: ThrottlingException - Rate exceeded (stand-in fault injection)');

    const response = await bedrock.model.generateStructured(request);
    expect(JSON.stringify(response.value)).not.toContain('[[');
    expect(Report.parse(response.value).title).toBe('[stand-in] title: Job 5c1e: error rate spiked then');
  });

  it('reads directives in html documents (after stripping tags), counting per document content', async () => {
    const html = (job: string) =>
      textDocument('page', `<html><body><p>Job ${job}</p><!-- [[fail:Ignored]] --><p>[[fail:ServiceUnavailableException:1]]</p></body></html>`, 'html');
    const jobA: StructuredRequest = { prompt: 'Read the page', documents: [html('A')], tool: REPORT_TOOL };
    const jobB: StructuredRequest = { prompt: 'Read the page', documents: [html('B')], tool: REPORT_TOOL };

    await expect(bedrock.model.generateStructured(jobA)).rejects.toThrow('Bedrock API error: ServiceUnavailableException');
    await expect(bedrock.model.generateStructured(jobB)).rejects.toThrow('Bedrock API error: ServiceUnavailableException');
    const response = await bedrock.model.generateStructured(jobA);
    expect(Report.parse(response.value).title).toBe('[stand-in] title: Job A Read the page');
  });

  it('does not read directives from pdf or docx documents', async () => {
    const response = await bedrock.model.generateStructured({
      prompt: 'Read both',
      documents: [pdfDocument('Text [[fail:ValidationException]]'), { name: 'memo', format: 'docx', bytes: new Uint8Array(64) }],
      tool: REPORT_TOOL,
    });
    expect(Report.parse(response.value).title).toBe('[stand-in] title: Text [docx, 64 bytes] Read both');
  });
});

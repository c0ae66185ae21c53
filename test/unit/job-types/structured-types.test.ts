/**
 * What every structured job type does (structuredJobType), run type by type through the job
 * types the worker builds: the document it reads, the request it sends, the result it returns,
 * the progress it reports, and how it handles a reply that does not validate.
 */
import { describe, expect, it } from 'vitest';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';
import type { JsonObject } from '../../../lambdas/domain/json.ts';
import { renderSourceResult } from '../../../lambdas/job-types/processors.ts';
import { renderSources } from '../../../lambdas/job-types/sources.ts';
import { ScriptedModel, type Reply } from '../../support/scripted-model.ts';
import { processorContext } from '../../support/processor-context.ts';
import { PDF, SOURCE_ID, attempt, SOURCE_ID_2, SOURCES, STRUCTURED_CASES, TEXT, firstInput, workerType, type StructuredCase } from './fixtures.ts';

type Kind = keyof StructuredCase['inputs'];

/** How each way of giving the document reaches the model. */
const KINDS: Record<Kind, { name: string; format: string; bytes: () => Buffer; steps: string[]; progress: string }> = {
  text: { name: 'document', format: 'txt', bytes: () => Buffer.from(TEXT), steps: [], progress: 'sending document' },
  sources: {
    name: 'sources',
    format: 'txt',
    bytes: () => Buffer.from(renderSources(SOURCES, renderSourceResult)),
    steps: ['loadSources'],
    progress: 'reading sources',
  },
  upload: { name: 'document', format: 'pdf', bytes: () => PDF, steps: ['loadDocument'], progress: 'sending document' },
};

/** Runs one attempt of the case's type on `input`, the model answering `replies`. */
async function run(testCase: StructuredCase, input: JsonObject, replies: Reply[], options: Parameters<typeof processorContext>[0] = {}) {
  const events: string[] = [];
  const model = new ScriptedModel(events).answer(...replies);
  const recorded = processorContext({ sources: SOURCES, document: new Uint8Array(PDF), events, ...options });
  const outcome = await attempt(workerType(testCase.type, model), input, recorded.context);
  return { ...outcome, ...recorded, model, requests: model.requests };
}

describe.each(STRUCTURED_CASES)('$type', (testCase) => {
  const kinds = (Object.keys(testCase.inputs) as Kind[]).map((kind) => [kind, testCase.inputs[kind]!] as const);
  const input = firstInput(testCase);

  it.each(kinds)('sends its document given as %s as one document block, reporting each step in order', async (kind, kindInput) => {
    const expected = KINDS[kind];

    const { requests, events, progress, loadSources } = await run(testCase, kindInput, [{ value: testCase.valid }]);

    expect(requests).toHaveLength(1);
    expect(requests[0]!.documents).toHaveLength(1);
    const [document] = requests[0]!.documents!;
    expect(document).toMatchObject({ name: expected.name, format: expected.format });
    expect(Buffer.from(document!.bytes).equals(expected.bytes())).toBe(true);
    expect(requests[0]!.prompt).not.toContain('SECRET');
    expect(events).toStrictEqual(['progress 10', ...expected.steps, 'progress 40', 'model', 'progress 80']);
    expect(progress.map((step) => step.message)).toStrictEqual([expected.progress, 'waiting for model', 'validating output']);
    if (kind === 'sources') expect(loadSources).toHaveBeenCalledWith([SOURCE_ID, SOURCE_ID_2]);
  });

  it('sends its prompt and system prompt, forces its tool, and passes the model settings and the attempt signal', async () => {
    const { requests, context } = await run(testCase, input, [{ value: testCase.valid }]);

    const request = requests[0]!;
    expect(request.prompt).toBe(testCase.worker.prompt(testCase.definition.input.parse(input)));
    expect(request.system).toBe(testCase.worker.system);
    expect(request.system).toContain(`Answer only by calling the ${testCase.tool} tool`);
    expect(request.tool).toBe(testCase.worker.output.tool);
    expect(request.tool).toMatchObject({ name: testCase.tool, inputSchema: { type: 'object', required: expect.any(Array) } });
    expect(request).toMatchObject({ modelId: 'amazon.nova-pro-v1:0', maxTokens: 1500, temperature: 0.3 });
    expect(request.signal).toBe(context.signal);
  });

  it('returns the validated value with the model metadata', async () => {
    const { result } = await run(testCase, input, [{ value: testCase.valid }]);

    expect(result).toStrictEqual({
      ...testCase.valid,
      metadata: { model: 'amazon.nova-pro-v1:0', usage: { inputTokens: 1200, outputTokens: 300 }, latencyMs: 900, attempts: 1 },
    });
  });

  it('sends a reply that does not validate back once, saying what was wrong, and returns the corrected one', async () => {
    const { result, requests, events, progress } = await run(testCase, input, [{ value: testCase.invalid }, { value: testCase.valid }]);

    expect(requests).toHaveLength(2);
    expect(requests[1]!.prompt.startsWith(`${requests[0]!.prompt}\n\n`)).toBe(true);
    for (const issue of testCase.issues) expect(requests[1]!.prompt).toContain(`- ${issue}`);
    expect(requests[1]).toMatchObject({ documents: requests[0]!.documents, tool: requests[0]!.tool, system: requests[0]!.system });
    expect(events.slice(-4)).toStrictEqual(['model', 'progress 80', 'progress 85', 'model']);
    expect(progress.at(-1)).toStrictEqual({ percent: 85, message: 'asking the model again' });
    expect(result).toStrictEqual({
      ...testCase.valid,
      metadata: { model: 'amazon.nova-pro-v1:0', usage: { inputTokens: 2400, outputTokens: 600 }, latencyMs: 1800, attempts: 2 },
    });
  });

  it('fails the attempt with a RetryableError naming what was wrong after two replies that do not validate', async () => {
    const { failure, requests } = await run(testCase, input, [{ value: testCase.invalid }]);

    expect(requests).toHaveLength(2);
    expect(failure).toBeInstanceOf(RetryableError);
    expect((failure as Error).message).toBe(
      `The model's reply did not match the ${testCase.type} result schema, twice in this attempt ` +
        `(${testCase.issues.join('; ')}); the next attempt may do better.`,
    );
  });

  const { sources, upload } = testCase.inputs;
  if (sources) {
    it('fails at once, without a model call, when a source is gone', async () => {
      const { failure, requests } = await run(testCase, sources, [{ value: testCase.valid }], { sources: [SOURCES[0]!] });

      expect(failure).toBeInstanceOf(NonRetryableError);
      expect((failure as Error).message).toBe(`Source job ${SOURCE_ID_2} no longer exists`);
      expect(requests).toHaveLength(0);
    });
  }

  if (upload) {
    it('fails at once, without a model call, when the uploaded document is gone', async () => {
      const { failure, requests } = await run(testCase, upload, [{ value: testCase.valid }], { document: undefined });

      expect(failure).toBeInstanceOf(NonRetryableError);
      expect((failure as Error).message).toBe('The uploaded document is no longer stored');
      expect(requests).toHaveLength(0);
    });
  }
});

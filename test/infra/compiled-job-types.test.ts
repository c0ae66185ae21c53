/**
 * The worker's job types as Lambda runs them: bundled by lib/bundling.ts, with the job types
 * compiled at build time (no zod in the bundle), imported from the bundle and run. The unit
 * tests run the same code unbundled, where the types are compiled at start-up.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobType } from '../../lambdas/domain/job-types.ts';
import type * as Processors from '../../lambdas/job-types/processors.ts';
import { bundleFunction } from '../../lib/bundling.ts';
import { processorContext } from '../support/processor-context.ts';
import { ScriptedModel } from '../support/scripted-model.ts';
import { SOURCES, STRUCTURED_CASES, firstInput, type StructuredCase } from '../unit/job-types/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let bundled: typeof Processors;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'compiled-job-types-'));
  bundleFunction(path.join(ROOT, 'lambdas/job-types/processors.ts'), dir);
  bundled = (await import(pathToFileURL(path.join(dir, 'index.mjs')).href)) as typeof Processors;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scripted(testCase: StructuredCase, ...values: unknown[]): { type: JobType<any>; model: ScriptedModel } {
  const model = new ScriptedModel().answer(...values.map((value) => ({ value })));
  const type = bundled.createJobTypes({ model }, {}).find((candidate) => candidate.name === testCase.type)!;
  return { type, model };
}

describe('the bundled worker’s job types', () => {
  it('carry no zod', () => {
    const code = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.mjs'))
      .map((file) => readFileSync(path.join(dir, file), 'utf8'))
      .join('\n');
    expect(code).not.toMatch(/ZodType|toJSONSchema|zod\/v4/);
  });

  it.each(STRUCTURED_CASES)('$type: checks the stored input, sends the compiled tool schema and returns a valid reply', async (testCase) => {
    const { type, model } = scripted(testCase, testCase.valid);
    const input = type.input.safeParse(firstInput(testCase));
    expect(input.success).toBe(true);

    const result = await type.process((input as { data: unknown }).data, processorContext({ sources: SOURCES }).context);

    expect(model.requests[0]!.tool).toStrictEqual(testCase.worker.output.tool);
    // No first input names a title (REPORT_GENERATION would keep it): the result is the reply, with its metadata.
    expect(result).toStrictEqual({ ...testCase.valid, metadata: expect.objectContaining({ attempts: 1 }) });
    expect(type.input.safeParse({ ...firstInput(testCase), unexpected: true }).success).toBe(false);
  });

  it('AI_PREVIEW: checks a stored input’s shape', () => {
    const type = bundled.createJobTypes({ model: new ScriptedModel() }, {}).find((candidate) => candidate.name === 'AI_PREVIEW')!;
    expect(type.input.safeParse({ prompt: 'Hello', system: 'Be brief.', maxTokens: 100 })).toStrictEqual({ success: true, data: { prompt: 'Hello', system: 'Be brief.', maxTokens: 100 } });
    for (const input of [{}, { prompt: 3 }, { prompt: 'Hello', maxTokens: 1.5 }, { prompt: 'Hello', extra: true }, 'Hello']) {
      expect(type.input.safeParse(input).success, JSON.stringify(input)).toBe(false);
    }
  });

  it.each(STRUCTURED_CASES)('$type: sends an invalid reply back once, then fails the attempt naming the problems', async (testCase) => {
    const { type, model } = scripted(testCase, testCase.invalid, testCase.invalid);

    const failure = await type.process(firstInput(testCase), processorContext({ sources: SOURCES }).context).catch((error: unknown) => error);

    expect(model.requests).toHaveLength(2);
    expect(model.requests[1]!.prompt).toContain(testCase.issues[0]);
    expect(String((failure as Error).message)).toContain(`did not match the ${testCase.type} result schema, twice`);
  });
});

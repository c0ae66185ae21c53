/**
 * The worker's check of stored inputs and model replies (json-check.ts): each keyword, the two
 * options, and agreement with zod, whose schemas the checked JSON Schemas are compiled from
 * (compile.ts), on every job type's schemas and a corpus of valid and broken values.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { sampleJsonSchema } from '../../../lib/local/bedrock/schema-sampler.ts';
import { compileJobType, compiledSchema } from '../../../lambdas/job-types/compile.ts';
import { JOB_TYPE_DEFINITIONS } from '../../../lambdas/job-types/definitions.ts';
import { checkJson, uncheckedKeywords, type CheckOptions, type JsonSchema } from '../../../lambdas/job-types/json-check.ts';
import { loadJobTypeResults } from '../../../lambdas/job-types/results.ts';
import { STRUCTURED_CASES } from './fixtures.ts';

const REPLY: CheckOptions = { unknownKeys: 'strip', trim: true };
const STORED: CheckOptions = { unknownKeys: 'reject', trim: false };

const issues = (schema: JsonSchema, value: unknown, options = REPLY) => {
  const checked = checkJson(schema, value, options);
  return checked.success ? [] : checked.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('checkJson', () => {
  const schema: JsonSchema = {
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 1, maxLength: 5 },
      level: { type: 'string', enum: ['low', 'high'] },
      tags: { type: 'array', items: { type: 'string', pattern: '^[a-z]+$' }, minItems: 1, maxItems: 2 },
      count: { type: 'integer', minimum: 0, maximum: 10 },
      ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      kind: { const: 'fixed' },
      either: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    },
    required: ['title', 'level'],
    additionalProperties: false,
  };

  it('passes a value that matches, as it is', () => {
    const value = { title: 'Plan', level: 'low', tags: ['a'], count: 3, ratio: 0.5, kind: 'fixed', either: null };
    expect(checkJson(schema, value, STORED)).toStrictEqual({ success: true, data: value });
  });

  it('names every problem by path, in zod’s words', () => {
    const value = { title: '', level: 'mid', tags: ['A', 'b', 'c'], count: 2.5, ratio: 1, kind: 'other', either: 3 };
    expect(issues(schema, value)).toStrictEqual([
      'title: Too small: expected string to have >=1 characters',
      'level: Invalid option: expected one of "low"|"high"',
      'tags: Too big: expected array to have <=2 items',
      'tags.0: Invalid string: must match pattern /^[a-z]+$/',
      'count: Invalid input: expected integer, received number',
      'ratio: Too big: expected number to be <1',
      'kind: Invalid input: expected "fixed"',
      'either: Invalid input',
    ]);
    expect(issues(schema, { title: 'toolong', count: -1, ratio: 0, tags: [] })).toStrictEqual([
      'title: Too big: expected string to have <=5 characters',
      'level: Invalid option: expected one of "low"|"high"',
      'tags: Too small: expected array to have >=1 items',
      'count: Too small: expected number to be >=0',
      'ratio: Too small: expected number to be >0',
    ]);
    expect(issues(schema, 'text')).toStrictEqual([': Invalid input: expected object, received string']);
    expect(issues(schema, [])).toStrictEqual([': Invalid input: expected object, received array']);
    expect(issues(schema, { title: 'a', level: 'low', count: Number.NaN })).toStrictEqual(['count: Invalid input: expected integer, received number']);
  });

  it('strips or rejects the keys an object does not name, as told', () => {
    const value = { title: 'Plan', level: 'low', extra: 1, more: 2 };
    expect(checkJson(schema, value, REPLY)).toStrictEqual({ success: true, data: { title: 'Plan', level: 'low' } });
    expect(issues(schema, value, STORED)).toStrictEqual([': Unrecognized keys: "extra", "more"']);
    const open: JsonSchema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(checkJson(open, { a: 'x', b: 1 }, STORED)).toStrictEqual({ success: true, data: { a: 'x', b: 1 } });
    const record: JsonSchema = { type: 'object', additionalProperties: { type: 'integer' } };
    expect(issues(record, { a: 1, b: 'x' }, STORED)).toStrictEqual(['b: Invalid input: expected integer, received string']);
  });

  it('trims strings before checking them when told (a model’s reply), never otherwise', () => {
    expect(checkJson(schema, { title: '  Plan ', level: 'low' }, REPLY)).toStrictEqual({ success: true, data: { title: 'Plan', level: 'low' } });
    expect(issues(schema, { title: '   ', level: 'low' }, REPLY)).toStrictEqual(['title: Too small: expected string to have >=1 characters']);
    expect(issues(schema, { title: ' Plan ', level: 'low' }, STORED)).toStrictEqual(['title: Too big: expected string to have <=5 characters']);
  });

  it('counts a string’s length in code points, as JSON Schema and zod do', () => {
    const one = { type: 'string', minLength: 1, maxLength: 1 };
    expect(issues(one, '😀')).toStrictEqual([]);
    expect(issues(one, '😀😀')).toStrictEqual([': Too big: expected string to have <=1 characters']);
    expect(issues({ type: 'string', minLength: 2 }, '😀')).toStrictEqual([': Too small: expected string to have >=2 characters']);
    expect([z.string().max(1).safeParse('😀').success, z.string().max(1).safeParse('😀😀').success]).toStrictEqual([true, false]);
  });
});

describe('uncheckedKeywords', () => {
  it('lists, at any depth, the keywords the check would not apply; annotations are fine', () => {
    expect(uncheckedKeywords({ type: 'object', description: 'd', properties: { a: { type: 'string', format: 'email' } } })).toStrictEqual(['format']);
    expect(uncheckedKeywords({ type: 'array', items: { anyOf: [{ type: 'string' }, { not: {} }] }, uniqueItems: true })).toStrictEqual(['not', 'uniqueItems']);
    expect(uncheckedKeywords({ type: 'object', additionalProperties: { type: 'integer', multipleOf: 2 } })).toStrictEqual(['multipleOf']);
  });

  it('makes compile refuse a reply string that does not trim first, as the check would trim it', () => {
    for (const text of [z.string(), z.string().min(1).trim(), z.string().trim().toLowerCase()]) {
      expect(() => compiledSchema('X', 'output', z.object({ text }))).toThrow('Job type X: the string at properties/text of its output must be trimmed before its other checks');
    }
    expect(compiledSchema('X', 'output', z.object({ text: z.string().trim().max(3), level: z.enum(['a']) }))).toMatchObject({ properties: { text: { maxLength: 3 } } });
    expect(compiledSchema('X', 'input', z.object({ text: z.string() }))).toMatchObject({ properties: { text: { type: 'string' } } });
  });

  it('trims free text only: an enum member or a constant must match as it is, as in zod', () => {
    const schema = { type: 'object', properties: { level: { type: 'string', enum: ['low'] }, kind: { const: 'k' } } };
    expect(issues(schema, { level: ' low ', kind: ' k' })).toStrictEqual(['level: Invalid option: expected one of "low"', 'kind: Invalid input: expected "k"']);
  });

  it('makes compile refuse a schema the worker could not check in full', () => {
    expect(() => compiledSchema('X', 'input', z.object({ email: z.email() }))).toThrow(
      "Job type X: the JSON Schema of its input uses format, which the worker's check (json-check.ts) does not apply",
    );
  });
});

/** Values around `sample` (valid): each field broken in the ways a model or a stale record breaks it. */
function variants(sample: unknown): unknown[] {
  const out: unknown[] = [sample, null, 'text', [], {}];
  const visit = (value: unknown, replace: (next: unknown) => unknown) => {
    out.push(replace(undefined), replace(null), replace(42), replace(1.5), replace(''), replace('   '), replace(true), replace([]), replace({}));
    if (typeof value === 'string') out.push(replace(`  ${value}  `), replace(value.repeat(500)), replace('low'), replace('critical'));
    if (Array.isArray(value)) {
      out.push(replace([...value, ...value, ...value].slice(0, 300)), replace(Array.from({ length: 250 }, () => value[0])));
      value.forEach((item, index) => visit(item, (next) => replace(value.map((other, at) => (at === index ? next : other)))));
    } else if (typeof value === 'object' && value !== null) {
      out.push(replace({ ...value, extra: 'x' }));
      for (const [key, item] of Object.entries(value)) visit(item, (next) => replace({ ...value, [key]: next }));
    }
  };
  visit(sample, (next) => next);
  return out.map((value) => (value === undefined ? value : JSON.parse(JSON.stringify(value))));
}

const results = await loadJobTypeResults(JOB_TYPE_DEFINITIONS);

describe.each(results.filter((type) => type.output !== undefined))('$definition.name: the compiled reply check agrees with zod', ({ definition, output }) => {
  const compiled = compileJobType(definition, {}, output).output!;
  const testCase = STRUCTURED_CASES.find((candidate) => candidate.type === definition.name);
  const corpus = [
    ...variants(sampleJsonSchema(compiled, { text: 'A plan to harvest in late September, with a budget.', seed: definition.name })),
    ...(testCase ? [testCase.valid, testCase.invalid] : []),
  ];

  it(`on ${corpus.length} valid and broken replies: same verdict, same value, same issues`, () => {
    let passed = 0;
    for (const value of corpus) {
      const zod = output!.safeParse(value);
      const checked = checkJson(compiled, value, REPLY);
      expect(checked.success, JSON.stringify(value)?.slice(0, 200)).toBe(zod.success);
      if (zod.success && checked.success) {
        expect(checked.data).toStrictEqual(zod.data);
        passed++;
      } else if (!zod.success && !checked.success) {
        // The same problems, in zod's words; zod goes on to check the length of a value of the
        // wrong type (`[]` for a string: "expected array to have >=1 items"), which the check does not.
        const ours = checked.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        const theirs = zod.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
        expect(theirs).toEqual(expect.arrayContaining(ours));
        expect(new Set(ours.map((issue) => issue.split(': ')[0]))).toStrictEqual(new Set(theirs.map((issue) => issue.split(': ')[0])));
      }
    }
    // The corpus holds both kinds.
    expect(passed).toBeGreaterThan(2);
    expect(passed).toBeLessThan(corpus.length - 10);
  });
});

describe.each(results.map(({ definition }) => definition))('$name: the compiled input check passes what the create stores', (definition) => {
  const compiled = compileJobType(definition, {}).input;
  const inputs = STRUCTURED_CASES.filter((testCase) => testCase.type === definition.name).flatMap((testCase) => Object.values(testCase.inputs));
  if (definition.name === 'AI_PREVIEW') inputs.push({ prompt: '  Hello  ', system: 'Be brief.', maxTokens: 100 }, { prompt: 'Hi' });

  it('every input zod accepts passes, as zod returns it; a wrong shape does not', () => {
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) {
      const parsed = definition.input.safeParse(input);
      expect(parsed.success, JSON.stringify(input)).toBe(true);
      expect(checkJson(compiled, parsed.data, STORED)).toStrictEqual({ success: true, data: parsed.data });
      expect(checkJson(compiled, { ...(parsed.data as object), unexpected: 1 }, STORED).success).toBe(false);
    }
    expect(checkJson(compiled, 'not an object', STORED).success).toBe(false);
    expect(checkJson(compiled, null, STORED).success).toBe(false);
  });
});

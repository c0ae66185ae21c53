/**
 * The worker's check of stored inputs and model replies (json-check.ts) against zod, whose schemas
 * the checked JSON Schemas are compiled from (compile.ts): the same verdict, value and issues, on
 * a schema with every keyword the check applies and on every job type's schemas with a corpus of
 * valid and broken values; and what compile refuses, because the check could not do as zod does.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { sampleJsonSchema } from '../../../lib/local/bedrock/schema-sampler.ts';
import { compileJobType, compiledSchema } from '../../../lambdas/job-types/compile.ts';
import { JOB_TYPE_DEFINITIONS } from '../../../lambdas/job-types/definitions.ts';
import { outputText } from '../../../lambdas/job-types/output-fields.ts';
import { checkJson, uncheckedKeywords, type CheckOptions, type JsonSchema } from '../../../lambdas/job-types/json-check.ts';
import { loadJobTypeResults } from '../../../lambdas/job-types/results.ts';
import { STRUCTURED_CASES } from './fixtures.ts';

const REPLY: CheckOptions = { unknownKeys: 'strip', trim: true };
const STORED: CheckOptions = { unknownKeys: 'reject', trim: false };

const issues = (schema: JsonSchema, value: unknown, options = REPLY) => {
  const checked = checkJson(schema, value, options);
  return checked.success ? [] : checked.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

/**
 * zod's issues as `path: message`. zod goes on to check the length of a value of the wrong type
 * (`[]` for a string: "expected array to have >=1 items"): those follow its type issue at the same
 * path and are left out; the check stops at the type issue.
 */
function zodIssues(error: z.ZodError): string[] {
  const wrongType = new Set<string>();
  return error.issues.flatMap((issue) => {
    const path = issue.path.join('.');
    if (wrongType.has(path)) return [];
    if (issue.code === 'invalid_type') wrongType.add(path);
    return [`${path}: ${issue.message}`];
  });
}

/** Asserts that the check of `schema`'s JSON Schema and zod agree on `value`: verdict, value, issues. Returns the verdict. */
function expectAgreement(schema: z.ZodType, json: JsonSchema, value: unknown, options: CheckOptions): boolean {
  const zod = schema.safeParse(value);
  const checked = checkJson(json, value, options);
  const shown = JSON.stringify(value)?.slice(0, 200);
  expect(checked.success, shown).toBe(zod.success);
  if (zod.success && checked.success) expect(checked.data, shown).toStrictEqual(zod.data);
  if (!zod.success && !checked.success) expect(checked.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`), shown).toStrictEqual(zodIssues(zod.error));
  return zod.success;
}

describe('checkJson against zod, keyword by keyword', () => {
  const strict = z.strictObject({
    title: z.string().min(1).max(5),
    level: z.enum(['low', 'high']),
    only: z.enum(['one']).optional(),
    tags: z.array(z.string().regex(/^[a-z]+$/)).min(2).max(3).optional(),
    count: z.int().min(0).max(10).optional(),
    big: z.int().optional(),
    ratio: z.number().gt(0).lt(1).optional(),
    kind: z.literal('fixed').optional(),
    either: z.string().nullable().optional(),
    union: z.union([z.string(), z.number()]).optional(),
    nested: z.object({ a: z.array(z.object({ b: z.boolean() })) }).optional(),
  });
  const json = compiledSchema('X', 'input', strict);
  const valid = { title: 'Plan', level: 'low', tags: ['a', 'b'], count: 3, ratio: 0.5, kind: 'fixed', either: null, union: 2, nested: { a: [{ b: true }] } };

  it.each([
    ['a value that matches', valid],
    ['a value of every wrong kind', { title: '', level: 'mid', only: 'two', tags: ['A', 'b'], count: 2.5, ratio: 1, kind: 'other', either: 3, union: true, nested: { a: [{ b: 'no' }, 1] } }],
    ['bounds and missing keys', { title: 'toolong', count: -1, ratio: 0, tags: ['x'], big: 2 ** 60 }],
    ['a list over its maximum, with a bad item (zod reads no item then)', { title: 'a', level: 'low', tags: ['a', 'B', 'c', 'd'] }],
    ['a list under its minimum, with a bad item', { title: 'a', level: 'low', tags: ['B'] }],
    ['numbers that are not finite', { title: 'a', level: 'low', count: Number.NaN, ratio: Number.POSITIVE_INFINITY }],
    ['keys the schema does not name', { ...valid, extra: 1, more: 2 }],
    ['not an object', 'text'],
    ['an array', []],
    ['null', null],
  ])('%s', (_name, value) => {
    expectAgreement(strict, json, value, STORED);
  });

  it('strips the keys an object does not name, or rejects them, as told', () => {
    const loose = z.object({ a: z.string() });
    const open = compiledSchema('X', 'input', loose);
    expect(expectAgreement(loose, open, { a: 'x', b: 1 }, { unknownKeys: 'strip', trim: false })).toBe(true);
    expect(issues(open, { a: 'x', b: 1 }, STORED)).toStrictEqual([': Unrecognized key: "b"']);
    const record = z.record(z.string(), z.int());
    expect(expectAgreement(record, { type: 'object', additionalProperties: { type: 'integer' } }, { a: 1, b: 'x' }, STORED)).toBe(false);
  });

  it('trims a reply’s free-text strings before checking them, as outputText does, and nothing else', () => {
    const reply = z.object({ text: outputText(5, 'd'), note: outputText(5, 'd').nullable(), level: z.enum(['low']), kind: z.literal('k') });
    const schema = compiledSchema('X', 'output', reply);
    for (const value of [
      { text: '  Plan ', note: ' Note  ', level: 'low', kind: 'k' },
      { text: '   ', note: null, level: 'low', kind: 'k' },
      { text: 'a', note: '      ', level: ' low ', kind: ' k' },
    ]) {
      expectAgreement(reply, schema, value, REPLY);
    }
    expect(issues(schema, { text: ' Plan ', note: null, level: 'low', kind: 'k' }, STORED)).toStrictEqual(['text: Too big: expected string to have <=5 characters']);
  });

  it('counts a string’s length in code points, as JSON Schema and zod do', () => {
    const one = z.string().min(1).max(1);
    for (const value of ['😀', '😀😀', 'a\uD800']) expectAgreement(one, compiledSchema('X', 'input', one), value, STORED);
  });
});

describe('what compile refuses', () => {
  it('a keyword the check would not apply, at any depth (annotations are fine)', () => {
    expect(uncheckedKeywords({ type: 'object', description: 'd', properties: { a: { type: 'string', format: 'email' } } })).toStrictEqual(['format']);
    expect(uncheckedKeywords({ type: 'array', items: { anyOf: [{ type: 'string' }, { not: {} }] }, uniqueItems: true })).toStrictEqual(['not', 'uniqueItems']);
    expect(uncheckedKeywords({ type: 'object', additionalProperties: { type: 'integer', multipleOf: 2 } })).toStrictEqual(['multipleOf']);
    expect(() => compiledSchema('X', 'input', z.object({ email: z.email() }))).toThrow('Job type X: its input schema uses the keyword format');
    expect(() => compiledSchema('X', 'input', z.object({ n: z.number().default(3) }))).toThrow('the keyword default');
  });

  it('a regex with flags: a JSON Schema pattern carries none', () => {
    expect(() => compiledSchema('X', 'input', z.object({ s: z.string().regex(/^abc$/i) }))).toThrow('a regex with flags at properties/s');
    expect(compiledSchema('X', 'input', z.object({ s: z.string().regex(/^a\-b$/) }))).toMatchObject({ properties: { s: { pattern: '^a\\-b$' } } });
  });

  it.each([
    ['a free-text string that does not trim first', z.object({ text: z.string() }), 'the string at properties/text, which must be trimmed'],
    ['a string that trims after another check', z.object({ text: z.string().min(1).trim() }), 'the string at properties/text'],
    ['a string changed another way', z.object({ text: z.string().trim().toLowerCase() }), 'the string at properties/text'],
    ['a refine', z.object({ text: outputText(9, 'd').refine((text) => text !== 'bad') }), 'a refine or superRefine at properties/text'],
    ['an object refine', z.object({ a: outputText(9, 'd'), b: outputText(9, 'd') }).refine((value) => value.a !== value.b), 'a refine or superRefine at (the root)'],
    ['a strict object', z.strictObject({ a: outputText(9, 'd') }), 'a strict object at (the root)'],
    ['a coercion', z.object({ n: z.coerce.number() }), 'a coercion at properties/n'],
    ['a value of any type', z.object({ a: outputText(9, 'd'), x: z.unknown() }), 'a value of any type at properties/x'],
    ['a catch', z.object({ n: z.number().catch(3) }), 'a catch at properties/n'],
  ])('in a reply: %s', (_name, schema, message) => {
    expect(() => compiledSchema('X', 'output', schema)).toThrow(message);
  });

  it('in an input: nothing of that, which the create checked before storing it', () => {
    expect(compiledSchema('X', 'input', z.strictObject({ text: z.string().superRefine(() => undefined), n: z.coerce.number() }))).toMatchObject({
      properties: { text: { type: 'string' }, n: { type: 'number' } },
      additionalProperties: false,
    });
  });
});

/** Values around `sample` (valid): each field broken in the ways a model or a stale record breaks it. */
function variants(sample: unknown): unknown[] {
  const out: unknown[] = [sample, null, 'text', [], {}];
  const visit = (value: unknown, replace: (next: unknown) => unknown) => {
    out.push(replace(undefined), replace(null), replace(42), replace(1.5), replace(''), replace('   '), replace(true), replace([]), replace({}));
    if (typeof value === 'string') out.push(replace(`  ${value}  `), replace(value.repeat(500)), replace('low'), replace('critical'));
    if (Array.isArray(value)) {
      out.push(replace([...value, ...value, ...value].slice(0, 300)), replace(Array.from({ length: 250 }, () => value[0])), replace([...Array.from({ length: 250 }, () => value[0]), 'broken']));
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
    const passed = corpus.filter((value) => expectAgreement(output!, compiled, value, REPLY)).length;
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

import { describe, expect, it } from 'vitest';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { definition as gapDetectionType } from '../../../lambdas/job-types/gap-detection/index.ts';
import { worker } from '../../../lambdas/job-types/gap-detection/worker.ts';
import { SOURCE_ID, SOURCE_ID_2, issuesOf } from './fixtures.ts';

const issues = (input: unknown) => issuesOf(gapDetectionType.input, input);
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('GAP_DETECTION input schema', () => {
  it('accepts text with required topics', () => {
    const input = { text: 'The harvest plan.', requiredTopics: ['budget', 'weather'] };

    expect(gapDetectionType.input.parse(input)).toStrictEqual(input);
  });

  it('accepts source job ids with a question, lower-casing the ids and trimming the question', () => {
    const parsed = gapDetectionType.input.parse({ sourceJobIds: [SOURCE_ID.toUpperCase()], question: '  Is it funded? ' });

    expect(parsed).toStrictEqual({ sourceJobIds: [SOURCE_ID], question: 'Is it funded?' });
  });

  it('accepts both required topics and a question', () => {
    expect(issues({ text: 'x', requiredTopics: ['budget'], question: 'Is it funded?' })).toStrictEqual([]);
  });

  it('accepts 50 topics and 10 source jobs', () => {
    const input = { sourceJobIds: Array.from({ length: 10 }, (_, i) => uuid(i)), requiredTopics: Array.from({ length: 50 }, (_, i) => `topic ${i}`) };

    expect(issues(input)).toStrictEqual([]);
  });

  it('refuses an input with both text and sourceJobIds', () => {
    expect(issues({ text: 'x', sourceJobIds: [SOURCE_ID], question: 'q' })).toStrictEqual([
      ['', 'input takes only one of text, sourceJobIds; give one of them'],
    ]);
  });

  it('refuses an input with neither text nor sourceJobIds', () => {
    expect(issues({ question: 'q' })).toStrictEqual([
      ['', 'input needs the document to check: text (a string) or sourceJobIds (ids of your earlier jobs) or document ({ uploadId, format }: an uploaded file)'],
    ]);
  });

  it('refuses an input with neither requiredTopics nor question', () => {
    expect(issues({ text: 'x' })).toStrictEqual([
      ['', 'input needs requiredTopics (the topics the document must cover) or question (what it must answer), or both'],
    ]);
  });

  it.each([
    ['empty', [], 'requiredTopics', 'requiredTopics must list at least 1 topic'],
    ['over 50 topics', Array.from({ length: 51 }, (_, i) => `t${i}`), 'requiredTopics', 'requiredTopics must list at most 50 topics'],
    ['not an array', 'budget', 'requiredTopics', 'requiredTopics must be an array of strings'],
    ['with a blank topic', ['budget', '  '], 'requiredTopics.1', 'each requiredTopics entry must not be empty'],
    ['with a topic over 500 characters', ['t'.repeat(501)], 'requiredTopics.0', 'each requiredTopics entry must be at most 500 characters'],
  ])('refuses requiredTopics %s', (_case, requiredTopics, path, message) => {
    expect(issues({ text: 'x', requiredTopics })).toStrictEqual([[path, message]]);
  });

  it('refuses a question over 2000 characters', () => {
    expect(issues({ text: 'x', question: 'q'.repeat(2001) })).toStrictEqual([['question', 'question must be at most 2000 characters']]);
  });

  it('refuses a question that is not a string with that one message, whatever its length', () => {
    expect(issues({ text: 'x', question: Array.from({ length: 2001 }, () => 'q') })).toStrictEqual([
      ['question', 'question must be a string'],
    ]);
  });

  it.each([
    ['empty', [], 'sourceJobIds', 'sourceJobIds must name at least 1 job'],
    ['over 10 ids', Array.from({ length: 11 }, (_, i) => uuid(i)), 'sourceJobIds', 'sourceJobIds must name at most 10 jobs'],
    ['not an array', SOURCE_ID, 'sourceJobIds', 'sourceJobIds must be an array of job ids'],
    ['holding a non-UUID', [SOURCE_ID, 'job-2'], 'sourceJobIds.1', 'each sourceJobIds entry must be a job id (a UUID)'],
    ['holding a number', [42], 'sourceJobIds.0', 'each sourceJobIds entry must be a job id (a UUID string)'],
    [
      'with a duplicate (in any case)',
      [SOURCE_ID, SOURCE_ID_2, SOURCE_ID.toUpperCase()],
      'sourceJobIds.2',
      `sourceJobIds must be unique: ${SOURCE_ID} is also entry 0`,
    ],
  ])('refuses sourceJobIds %s', (_case, sourceJobIds, path, message) => {
    expect(issues({ sourceJobIds, question: 'q' })).toStrictEqual([[path, message]]);
  });

  it('refuses text over 150 KB of UTF-8', () => {
    expect(issues({ text: 'a'.repeat(150 * 1024 + 1), question: 'q' })).toStrictEqual([
      ['text', 'text is 153601 bytes of UTF-8; the limit is 153600 bytes (150 KB)'],
    ]);
  });

  it('refuses unknown keys, naming the allowed ones', () => {
    expect(issues({ text: 'x', question: 'q', topics: ['a'] })).toStrictEqual([
      ['', 'input has unknown key "topics"; allowed: text, sourceJobIds, document, requiredTopics, question'],
    ]);
  });

  it('declares the source job ids for the API to check, and none for text', () => {
    const chained = gapDetectionType.input.parse({ sourceJobIds: [SOURCE_ID, SOURCE_ID_2], question: 'q' });
    const plain = gapDetectionType.input.parse({ text: 'x', question: 'q' });

    expect(gapDetectionType.sourceJobIds?.(chained)).toStrictEqual([SOURCE_ID, SOURCE_ID_2]);
    expect(gapDetectionType.sourceJobIds?.(plain)).toStrictEqual([]);
  });

  it('is registered in the catalog with a 60 s timeout and 3 attempts', () => {
    expect(jobTypeCatalog.get('GAP_DETECTION')).toBe(gapDetectionType);
    expect(gapDetectionType).toMatchObject({ timeoutSeconds: 60, maxAttempts: 3 });
  });
});

describe('GAP_DETECTION prompt', () => {
  const gapDetectionPrompt = (input: { requiredTopics?: string[]; question?: string }) => worker.prompt({ text: 'x', ...input });

  it('lists the required topics, numbered, and the question', () => {
    const prompt = gapDetectionPrompt({ requiredTopics: ['budget', 'weather'], question: 'Is it funded?' });

    expect(prompt).toContain('The document must cover each of these topics:\n\n1. budget\n2. weather');
    expect(prompt).toContain('The document must answer this question:\nIs it funded?');
  });

  it('leaves out the parts the input does not have', () => {
    const prompt = gapDetectionPrompt({ question: 'Is it funded?' });

    expect(prompt).not.toContain('topics:');
    expect(prompt).toContain('Is it funded?');
  });
});

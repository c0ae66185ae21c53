/**
 * End to end, through `npm run dev` over HTTP: the document job types (PARSE_DOCUMENT,
 * GAP_DETECTION, RISK_ANALYSIS, REPORT_GENERATION) on the Bedrock stand-in, which answers their
 * tool-use requests with schema-valid output quoting the documents it was sent. Covers parsing
 * text and a PDF, chaining with sourceJobIds and its refusals, progress steps, and the size limits.
 *
 * Not covered here: a model reply that fails validation (the stand-in always answers validly);
 * the unit tests cover it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UUID, nonce, pollUntil, type Answer, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';
import { minimalPdf } from '../support/pdf.ts';

const MODEL_ID = 'amazon.nova-lite-v1:0';
/** Every string the stand-in generates from a tool's schema starts with this. */
const STAND_IN_TEXT = '[stand-in] ';
const KB = 1024;
const LIMIT_BYTES = 150 * KB;
const LIMIT_TEXT = `${LIMIT_BYTES} bytes (150 KB)`;

/** The documented progress steps of the document job types. */
const DOCUMENT_STEPS = [
  { percent: 10, message: 'sending document' },
  { percent: 10, message: 'reading sources' },
  { percent: 40, message: 'waiting for model' },
  { percent: 80, message: 'validating output' },
  { percent: 85, message: 'asking the model again' },
];

const RUN = nonce();
const USERS = ['parser', 'chainer', 'outsider', 'watcher', 'sizes', 'limit'] as const;
const username = (label: (typeof USERS)[number]) => `${label}-${RUN}`;

const dev = useDevServer({ label: 'jobs-e2e-documents-', users: USERS.map(username), env: { RETRY_BASE_DELAY_SECONDS: '0' } });

function clientOf(label: (typeof USERS)[number]): Client {
  return dev.client(username(label));
}

// ---------------------------------------------------------------------------------------------
// Result shapes (strict: exactly the documented keys)

const text = z.string().refine((value) => value.trim() !== '', 'must be a non-empty string');
const wholeNumber = z.number().int().nonnegative();
const level = z.enum(['low', 'medium', 'high']);
const metadataSchema = z.strictObject({
  model: z.literal(MODEL_ID),
  usage: z.strictObject({ inputTokens: wholeNumber.positive(), outputTokens: wholeNumber.positive() }),
  latencyMs: wholeNumber,
  // Model calls in the attempt: the stand-in's first reply always validates.
  attempts: z.literal(1),
});
const parseResultSchema = z.strictObject({
  title: text,
  summary: text,
  sections: z.array(z.strictObject({ heading: text, text })).min(1),
  metadata: metadataSchema,
});
const gapResultSchema = z.strictObject({
  gaps: z.array(z.strictObject({ area: text, description: text, severity: level })).min(1),
  metadata: metadataSchema,
});
const riskResultSchema = z.strictObject({
  risks: z
    .array(z.strictObject({ category: text, description: text, likelihood: level, impact: level, mitigation: text }))
    .min(1),
  metadata: metadataSchema,
});
const reportResultSchema = z.strictObject({ title: text, markdown: text, metadata: metadataSchema });

/** Parses `value` with `schema`; the failure names every issue. */
function expectShape<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${what} does not have the documented shape: ${z.prettifyError(parsed.error)}\n${JSON.stringify(value)}`);
  return parsed.data;
}

/** Every string in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/**
 * The free-text strings the model produced (everything but metadata and the low/medium/high
 * levels) all carry the stand-in's label.
 */
function expectStandInStrings(result: Record<string, unknown>, except: readonly string[] = []): void {
  const { metadata: _metadata, ...produced } = result;
  for (const key of except) delete produced[key];
  const all = strings(produced).filter((value) => !level.safeParse(value).success);
  expect(all.length).toBeGreaterThan(0);
  for (const value of all) expect(value.startsWith(STAND_IN_TEXT), value).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Helpers

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.json).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(answer.json.requestId).toMatch(UUID);
}

/** Creates a job of `type`; fails unless the answer is 202. */
async function createJob(client: Client, type: string, input: Record<string, unknown>): Promise<string> {
  const answer = await client.create(input, type);
  expect(answer.status, `create ${type}: ${answer.text}`).toBe(202);
  expect(answer.json).toMatchObject({ type, status: 'PENDING', attempts: 0, progress: null, result: null });
  expect(answer.json.id).toMatch(UUID);
  return answer.json.id as string;
}

/** Polls until the job is COMPLETED (fails at once if it ends otherwise) and returns the record. */
async function completed(client: Client, id: string, timeoutMs = 20_000): Promise<any> {
  const job = await client.waitForFinish(id, timeoutMs);
  expect(job, `job ${id} should be COMPLETED`).toMatchObject({ status: 'COMPLETED', error: null, progress: null, attempts: 1 });
  const result = await client.result(id);
  expect(result.status).toBe(200);
  expect(result.json).toEqual({ id, status: 'COMPLETED', result: job.result });
  return job;
}

// ---------------------------------------------------------------------------------------------

describe('PARSE_DOCUMENT', () => {
  it('parses text and a PDF to { title, summary, sections, metadata }; the PDF text reaches the model', async () => {
    const user = clientOf('parser');
    const marker = `marker${RUN.replace(/[^a-z0-9]/g, '')}`;
    const plain = `# Farm plan ${marker}\n\n## Market\nPrices are volatile.\n\n## Water\nThe well runs dry in August.`;
    // Words that appear in no prompt of ours: if they come back, the PDF's text was read.
    const pdfWords = ['Quokka', 'zeppelin', 'marmalade', 'harbour', `pdf${RUN.replace(/[^a-z0-9]/g, '')}`];
    const pdf = minimalPdf(pdfWords.join(' '));
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');

    const [textId, pdfId] = await Promise.all([
      createJob(user, 'PARSE_DOCUMENT', { text: plain }),
      createJob(user, 'PARSE_DOCUMENT', { document: { name: 'Farm plan (v2).pdf', format: 'pdf', base64: pdf.toString('base64') } }),
    ]);
    const [textJob, pdfJob] = await Promise.all([completed(user, textId), completed(user, pdfId)]);

    const fromText = expectShape(parseResultSchema, textJob.result, 'the text parse result');
    expectStandInStrings(textJob.result);
    expect(fromText.title).toMatch(/^\[stand-in\] title: /);
    // The stand-in quotes the document: the text's own words are in the result.
    expect(strings(fromText).join(' ')).toContain(marker);
    // Input tokens count the document's words (and the prompts'): at least the text's words.
    expect(fromText.metadata.usage.inputTokens).toBeGreaterThan(plain.split(/\s+/).length);

    const fromPdf = expectShape(parseResultSchema, pdfJob.result, 'the PDF parse result');
    expectStandInStrings(pdfJob.result);
    const pdfResultText = strings(fromPdf).join(' ');
    for (const word of pdfWords) expect(pdfResultText, `"${word}" from the PDF`).toContain(word);
    // Nothing of the client's file name is sent to the model (it gets a neutral name).
    expect(pdfResultText).not.toContain('Farm plan (v2)');
  });
});

describe('chaining', () => {
  it('GAP_DETECTION and RISK_ANALYSIS on a parse job, then REPORT_GENERATION on both: all COMPLETED, the given title kept', async () => {
    const user = clientOf('chainer');
    const parseId = await createJob(user, 'PARSE_DOCUMENT', {
      text: `# Orchard business plan ${nonce()}\n## Market\nPrices are volatile.\n## Staff\nTwo seasonal pickers.`,
    });
    await completed(user, parseId);

    const [gapId, riskId] = await Promise.all([
      createJob(user, 'GAP_DETECTION', { sourceJobIds: [parseId], requiredTopics: ['insurance', 'water supply'] }),
      createJob(user, 'RISK_ANALYSIS', { sourceJobIds: [parseId] }),
    ]);
    const [gapJob, riskJob] = await Promise.all([completed(user, gapId), completed(user, riskId)]);

    const gaps = expectShape(gapResultSchema, gapJob.result, 'the GAP_DETECTION result');
    expectStandInStrings(gapJob.result);
    const risks = expectShape(riskResultSchema, riskJob.result, 'the RISK_ANALYSIS result');
    expectStandInStrings(riskJob.result);
    // The sources reached the model: the stand-in quotes the sources document, which names its jobs.
    expect(strings(gaps).join(' ')).toContain(parseId);
    expect(strings(risks).join(' ')).toContain(parseId);

    const title = `Orchard review ${RUN}`;
    const reportId = await createJob(user, 'REPORT_GENERATION', {
      sourceJobIds: [gapId, riskId],
      title,
      instructions: 'Keep it short.',
    });
    const reportJob = await completed(user, reportId);
    const report = expectShape(reportResultSchema, reportJob.result, 'the REPORT_GENERATION result');
    expect(report.title).toBe(title);
    expectStandInStrings(reportJob.result, ['title']);

    // Without a title, the model's is used.
    const untitledId = await createJob(user, 'REPORT_GENERATION', { sourceJobIds: [riskId] });
    const untitled = expectShape(reportResultSchema, (await completed(user, untitledId)).result, 'the untitled report');
    expectStandInStrings(untitled);
  });

  it("names another user's COMPLETED job: 422 at input.sourceJobIds.0, the same answer as for an id that does not exist", async () => {
    const user = clientOf('chainer');
    const outsider = clientOf('outsider');
    const foreignId = await createJob(outsider, 'PARSE_DOCUMENT', { text: `Someone else's notes ${nonce()}` });
    await completed(outsider, foreignId);
    const randomId = crypto.randomUUID();

    const before = await user.allJobs();
    const answers = new Map<string, Answer>();
    for (const [type, extra] of [
      ['GAP_DETECTION', { question: 'What is missing?' }],
      ['RISK_ANALYSIS', {}],
      ['REPORT_GENERATION', {}],
    ] as const) {
      for (const id of [foreignId, randomId]) {
        const answer = await user.create({ sourceJobIds: [id], ...extra }, type);
        expectProblem(answer, 422, 'VALIDATION_FAILED');
        expect(answer.json.errors).toEqual([{ path: 'input.sourceJobIds.0', message: expect.any(String) }]);
        expect(answer.json.errors[0].message).toContain(id);
        answers.set(`${type} ${id === foreignId ? 'foreign' : 'random'}`, answer);
      }
      // Identical but for the id (and the request id): nothing tells a foreign job from none.
      const redact = (answer: Answer, id: string) => {
        const { requestId: _requestId, ...rest } = answer.json;
        return JSON.parse(JSON.stringify(rest).replaceAll(id, '<id>'));
      };
      const foreign = answers.get(`${type} foreign`)!;
      const random = answers.get(`${type} random`)!;
      expect(redact(foreign, foreignId)).toEqual(redact(random, randomId));
    }
    // Nothing was created, and the foreign job is still not visible.
    expect((await user.allJobs()).map((job) => job.id)).toEqual(before.map((job) => job.id));
    expectProblem(await user.get(foreignId), 404, 'JOB_NOT_FOUND');
  });

  it("names the caller's PROCESSING job: 409 SOURCE_NOT_READY with Retry-After; once COMPLETED the same create is accepted", async () => {
    const user = clientOf('chainer');
    const slowId = await createJob(user, 'PARSE_DOCUMENT', { text: `A slow document ${nonce()} [[delay:3000]]` });
    await user.waitFor(slowId, (job) => job.status === 'PROCESSING', 'to be PROCESSING', 10_000);

    const jobsBefore = (await user.allJobs()).length;
    const refused = await user.create({ sourceJobIds: [slowId] }, 'RISK_ANALYSIS');
    expectProblem(refused, 409, 'SOURCE_NOT_READY');
    expect(refused.headers.get('retry-after')).toBe('3');
    expect(refused.json.sources).toEqual([{ id: slowId, status: 'PROCESSING' }]);
    expect((await user.allJobs()).length).toBe(jobsBefore);
    // The check happened while the source was still running (its delay is 3 s).
    expect((await user.job(slowId)).status).toBe('PROCESSING');

    await completed(user, slowId);
    const riskId = await createJob(user, 'RISK_ANALYSIS', { sourceJobIds: [slowId] });
    expectShape(riskResultSchema, (await completed(user, riskId)).result, 'the RISK_ANALYSIS result');
  });

  it("names the caller's FAILED job: 422 at input.sourceJobIds.0", async () => {
    const user = clientOf('chainer');
    const failedId = await createJob(user, 'PARSE_DOCUMENT', { text: `Rejected by the model ${nonce()} [[fail:ValidationException]]` });
    const failed = await user.waitForFinish(failedId);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 1, result: null });
    expect(failed.error).toMatch(/^Bedrock API error: ValidationException - /);

    const count = (await user.allJobs()).length;
    const refused = await user.create({ sourceJobIds: [failedId], requiredTopics: ['water'] }, 'GAP_DETECTION');
    expectProblem(refused, 422, 'VALIDATION_FAILED');
    expect(refused.json.errors).toEqual([{ path: 'input.sourceJobIds.0', message: expect.stringContaining('FAILED') }]);
    expect((await user.allJobs()).length).toBe(count);
  });

  it("names the caller's CANCELLED job, next to a COMPLETED one: 422 naming only the cancelled entry", async () => {
    const user = clientOf('chainer');
    const goodId = await createJob(user, 'PARSE_DOCUMENT', { text: `A finished document ${nonce()}` });
    const cancelledId = await createJob(user, 'PARSE_DOCUMENT', { text: `Cancelled soon ${nonce()} [[delay:2000]]` });
    const cancelled = await user.cancel(cancelledId);
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.json.status).toBe('CANCELLED');
    await completed(user, goodId);

    const count = (await user.allJobs()).length;
    const refused = await user.create({ sourceJobIds: [goodId, cancelledId] }, 'REPORT_GENERATION');
    expectProblem(refused, 422, 'VALIDATION_FAILED');
    expect(refused.json.errors).toEqual([{ path: 'input.sourceJobIds.1', message: expect.stringContaining('CANCELLED') }]);
    expect((await user.allJobs()).length).toBe(count);
  });
});

describe('progress', () => {
  it('a slow document job shows PROCESSING with documented steps (40 "waiting for model"), then COMPLETED with progress null', async () => {
    const user = clientOf('watcher');
    const id = await createJob(user, 'PARSE_DOCUMENT', { text: `A document that takes a while ${nonce()} [[delay:2500]]` });

    const seen: unknown[] = [];
    const waiting = await pollUntil(
      async () => {
        const job = await user.job(id);
        if (job.progress !== null) seen.push(job.progress);
        return job;
      },
      // Stop at the step, or as soon as the job is no longer running (then the checks below fail).
      (job) => job.progress?.percent === 40 || !['PENDING', 'PROCESSING'].includes(job.status),
      { timeoutMs: 15_000, what: `job ${id} to report "waiting for model"` },
    );
    expect(waiting.status).toBe('PROCESSING');
    expect(waiting.progress).toEqual({ percent: 40, message: 'waiting for model' });
    expect(waiting.attempts).toBe(1);
    expect(waiting.result).toBeNull();
    expect(waiting.completedAt).toBeNull();
    expect(seen.length).toBeGreaterThan(0);
    for (const progress of seen) expect(DOCUMENT_STEPS).toContainEqual(progress);

    const done = await completed(user, id);
    expect(done.progress).toBeNull();
    // The model call took at least the delay.
    expect(Date.parse(done.completedAt) - Date.parse(done.startedAt)).toBeGreaterThanOrEqual(2500 - 50);
    expectShape(parseResultSchema, done.result, 'the parse result');
  });
});

describe('size limits and bad documents', () => {
  it('refuses oversize text and documents (422 naming the limit), oversize bodies (413) and bad base64 (422), creating nothing', async () => {
    const user = clientOf('sizes');
    const post = (input: Record<string, unknown>) => user.create(input, 'PARSE_DOCUMENT');

    // Text one byte over 150 KB of UTF-8 (the body is well under 256 KB).
    const longText = 'a'.repeat(LIMIT_BYTES + 1);
    const tooLongText = await post({ text: longText });
    expectProblem(tooLongText, 422, 'VALIDATION_FAILED');
    expect(tooLongText.json.errors).toEqual([
      { path: 'input.text', message: `text is ${LIMIT_BYTES + 1} bytes of UTF-8; the limit is ${LIMIT_TEXT}` },
    ]);

    // Bytes, not characters: 77,000 two-byte characters (under 150 K characters) are 154,000 bytes.
    const accented = 'é'.repeat(77_000);
    expect(accented.length).toBeLessThan(LIMIT_BYTES);
    const tooLongAccented = await user.create({ text: accented }, 'RISK_ANALYSIS');
    expectProblem(tooLongAccented, 422, 'VALIDATION_FAILED');
    expect(tooLongAccented.json.errors).toEqual([
      { path: 'input.text', message: `text is 154000 bytes of UTF-8; the limit is ${LIMIT_TEXT}` },
    ]);

    // A document over 150 KB once decoded (its base64 is about 200 KB: the body is under 256 KB).
    const bigDocument = Buffer.alloc(LIMIT_BYTES + 3, 'b').toString('base64');
    const body = JSON.stringify({ type: 'PARSE_DOCUMENT', input: { document: { name: 'big.txt', format: 'txt', base64: bigDocument } } });
    expect(Buffer.byteLength(body)).toBeLessThan(256 * KB);
    const tooBigDocument = await user.call('/api/jobs', { method: 'POST', body });
    expectProblem(tooBigDocument, 422, 'VALIDATION_FAILED');
    expect(tooBigDocument.json.errors).toEqual([
      {
        path: 'input.document.base64',
        message: `the document is ${LIMIT_BYTES + 3} bytes once decoded; the limit is ${LIMIT_TEXT} inline: upload larger documents (up to 4.5 MB) with POST /api/uploads and give their uploadId`,
      },
    ]);

    // A body over 256 KB: 413 before the input is looked at.
    const huge = await post({ text: 'c'.repeat(260 * KB) });
    expectProblem(huge, 413, 'PAYLOAD_TOO_LARGE');
    expect(huge.json.limitBytes).toBe(256 * KB);

    // Base64 that is not strict standard base64.
    for (const [base64, reason] of [
      ['aGVsbG8gd29ybGQ', /multiple of 4/],
      ['aGVs bG8=', /whitespace/],
      ['aGVsbG8_d29ybGQ-', /base64url/],
      ['aGVsbG8*', /characters outside/],
    ] as const) {
      const bad = await post({ document: { name: 'notes.txt', format: 'txt', base64 } });
      expectProblem(bad, 422, 'VALIDATION_FAILED');
      expect(bad.json.errors).toEqual([{ path: 'input.document.base64', message: expect.stringMatching(reason) }]);
      expect(bad.json.errors[0].message).toMatch(/^document\.base64 is not valid base64: /);
    }

    // A "pdf" that is not one.
    const notPdf = await post({ document: { name: 'x.pdf', format: 'pdf', base64: Buffer.from('just text').toString('base64') } });
    expectProblem(notPdf, 422, 'VALIDATION_FAILED');
    expect(notPdf.json.errors).toEqual([{ path: 'input.document.base64', message: expect.stringContaining('%PDF-') }]);

    expect(await user.allJobs()).toEqual([]);
  });

  it('accepts a document of exactly 150 KB once decoded, and it completes', async () => {
    const user = clientOf('limit');
    const words = `Exactly at the limit ${nonce()} `;
    const content = Buffer.alloc(LIMIT_BYTES, words);
    const id = await createJob(user, 'PARSE_DOCUMENT', { document: { name: 'limit.txt', format: 'txt', base64: content.toString('base64') } });
    const job = await completed(user, id);
    expectShape(parseResultSchema, job.result, 'the parse result');
    expect(strings(job.result).join(' ')).toContain(words.trim().split(' ').at(-1)!);
  });
});

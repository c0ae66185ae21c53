/**
 * The frontend kit against one `npm run dev` (the shared fixture): the typed client (client/) from
 * Node, then the web console in a real browser, Debian's Chromium (CHROMIUM_PATH overrides
 * /usr/bin/chromium) driven headless by playwright-core. Every page must log no console error.
 * Saves test-results/console.png (git-ignored; docs/console.png is a copy of it for the README).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobsClient, ProblemError, WaitTimeoutError, type JobStatusSnapshot } from '../../client/index.ts';
import { nonce, PROJECT_ROOT } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const UI_TIMEOUT = 20_000;

const dev = useDevServer({ users: ['dave', 'erin', 'frank'], label: 'jobs-frontend-' });
let browser: Browser;
const contexts: BrowserContext[] = [];
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});
afterAll(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await browser?.close();
});
afterEach(() => {
  const seen = problems.splice(0);
  expect(seen, 'console errors').toEqual([]);
});

/** A fresh browser context (its own session storage: its own user), watched for console errors. */
async function openConsole(viewport = { width: 1280, height: 860 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(`${dev.server.url}/`);
  return page;
}

/** Signs in with the keyboard alone: the username field has the focus, Enter submits. */
async function signIn(page: Page, username: string): Promise<void> {
  await page.waitForSelector('#username:focus');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(username);
  await page.keyboard.press('Enter');
  await expect.poll(() => page.locator('#signed-in-user').textContent()).toBe(username);
}

async function createJob(page: Page, type: string, fill: (page: Page) => Promise<void>): Promise<string> {
  await page.selectOption('#job-type', type);
  await fill(page);
  const shownId = () => page.locator('#job-detail:not([hidden]) dd code').first().textContent({ timeout: 500 }).catch(() => null);
  const before = await shownId();
  await page.click('#new-job button[type=submit]');
  // The new job opens in the detail panel (in place of the one shown before, if any).
  await expect.poll(shownId, { timeout: UI_TIMEOUT }).not.toBe(before);
  return (await shownId())!;
}

/** Alice's console: one page for her tests (a page load and a sign-in each cost seconds here). */
let alicesPage: Promise<Page> | undefined;
function alice(): Promise<Page> {
  alicesPage ??= openConsole().then(async (page) => {
    await signIn(page, 'alice');
    return page;
  });
  return alicesPage;
}

const detailStatus = (page: Page) => page.locator('#detail-status').textContent();
const rowIds = (page: Page) => page.locator('table.jobs tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id')));

describe('the typed client against npm run dev', () => {
  const client = (user: string) => new JobsClient({ baseUrl: dev.server.url, token: async () => dev.token(user) });

  it('creates a job (replayed with its Idempotency-Key), waits for it with progress, and reads its status and result', async () => {
    const erin = client('erin');
    const request = { type: 'AI_PREVIEW', input: { prompt: `Client ${nonce()}` } } as const;
    const created = await erin.createJob(request, { idempotencyKey: `key-${nonce()}` });
    expect(created).toMatchObject({ status: 202, replayed: false, retryAfterSeconds: 3, job: { status: 'PENDING' } });
    const seen: JobStatusSnapshot[] = [];
    const done = await erin.waitForJob(created.job.id, { onProgress: (status) => seen.push(status), timeoutMs: 20_000 });
    expect(done).toMatchObject({ id: created.job.id, status: 'COMPLETED', attempts: 1 });
    expect(String(done.result?.output)).toContain('[Bedrock stand-in');
    expect(seen.at(-1)?.status).toBe('COMPLETED');
    expect(await erin.getStatus(done.id)).toMatchObject({ id: done.id, status: 'COMPLETED' });
    expect((await erin.getResult(done.id)).result).toEqual(done.result);
  });

  it('answers a repeated create with the same Idempotency-Key with the same job, replayed', async () => {
    const erin = client('erin');
    const key = `key-${nonce()}`;
    const request = { type: 'AI_PREVIEW', input: { prompt: `Once ${nonce()}` } } as const;
    const first = await erin.createJob(request, { idempotencyKey: key });
    const again = await erin.createJob(request, { idempotencyKey: key });
    expect([again.status, again.replayed, again.job.id]).toEqual([200, true, first.job.id]);
  });

  it('throws typed problems: another caller\'s job is JOB_NOT_FOUND, a bad input VALIDATION_FAILED with its field errors', async () => {
    const { job } = await client('erin').createJob({ type: 'AI_PREVIEW', input: { prompt: `Mine ${nonce()}` } });
    const missing = await client('frank').getJob(job.id).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ProblemError);
    expect(missing).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });
    const invalid = await client('frank')
      .createJob({ type: 'AI_PREVIEW', input: { prompt: '' } })
      .catch((error: unknown) => error);
    expect(invalid).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect((invalid as ProblemError).problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ message: expect.stringContaining('prompt') })]));
  });

  it('cancels a running job, retries it, and stops waiting on abort (with the reason) or on timeout', async () => {
    const frank = client('frank');
    const { job } = await frank.createJob({ type: 'AI_PREVIEW', input: { prompt: `Slow ${nonce()} [[delay:5000]]` } });
    await expect(frank.waitForJob(job.id, { timeoutMs: 50 })).rejects.toBeInstanceOf(WaitTimeoutError);
    const controller = new AbortController();
    const waiting = frank.waitForJob(job.id, { signal: controller.signal });
    controller.abort(new Error('page closed'));
    await expect(waiting).rejects.toThrow('page closed');
    expect((await frank.cancelJob(job.id)).status).toBe('CANCELLED');
    const retried = await frank.retryJob(job.id);
    expect(retried).toMatchObject({ status: 202, job: { status: 'PENDING' } });
    expect((await frank.cancelJob(job.id)).status).toBe('CANCELLED');
    expect((await frank.waitForJob(job.id)).status).toBe('CANCELLED');
  });

  it('lists every job page by page with the filters', async () => {
    const frank = client('frank');
    for (let i = 0; i < 3; i++) await frank.createJob({ type: 'AI_PREVIEW', input: { prompt: `Listed ${i} ${nonce()}` } });
    const ids = new Set<string>();
    for await (const page of frank.listJobs({ limit: 2 })) for (const item of page.items) ids.add(item.id);
    const all = await dev.client('frank').allJobs();
    expect(ids).toEqual(new Set(all.map((job) => job.id)));
    expect(ids.size).toBeGreaterThan(2);
    const cancelled = [];
    for await (const page of frank.listJobs({ status: 'CANCELLED', type: 'AI_PREVIEW', priority: ['normal'] })) cancelled.push(...page.items);
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((job) => job.status === 'CANCELLED')).toBe(true);
  });

  it('uploads a document for a PARSE_DOCUMENT job, and works in a workspace', async () => {
    const erin = client('erin');
    const uploadId = await erin.uploadDocument(new Blob(['Quarterly plan\n\nSow in spring, harvest in autumn.\n'], { type: 'text/plain' }), 'plan.txt');
    const { job } = await erin.createJob({ type: 'PARSE_DOCUMENT', input: { document: { uploadId, format: 'txt' } } });
    expect((await erin.waitForJob(job.id, { timeoutMs: 20_000 })).status).toBe('COMPLETED');

    const workspace = await dev.client('erin').call('/api/workspaces', { method: 'POST', body: { name: `Team ${nonce()}` } });
    expect(workspace.status).toBe(201);
    const team = erin.workspace(workspace.json.id as string);
    const { job: shared } = await team.createJob({ type: 'AI_PREVIEW', input: { prompt: `Team ${nonce()}` } });
    expect(shared.workspaceId).toBe(workspace.json.id);
    const pages = [];
    for await (const page of team.listJobs()) pages.push(...page.items.map((item) => item.id));
    expect(pages).toEqual([shared.id]);
  });
});

describe('the web console in Chromium', () => {
  let alicesJob = '';

  it('signs in, creates an AI_PREVIEW job and shows it COMPLETED with its output, Markdown rendered and HTML kept as text', async () => {
    const page = await alice();
    alicesJob = await createJob(page, 'AI_PREVIEW', (p) => p.fill('#field-AI_PREVIEW-prompt', 'Plan a **bold** harvest <img src=x onerror=alert(1)>'));
    await expect.poll(() => detailStatus(page), { timeout: UI_TIMEOUT }).toBe('COMPLETED');
    const output = page.locator('#job-detail .markdown');
    expect(await output.first().textContent()).toContain('[Bedrock stand-in');
    expect(await output.locator('strong').first().textContent()).toBe('bold');
    expect(await output.textContent()).toContain('<img src=x onerror=alert(1)>');
    expect(await page.locator('#job-detail img').count()).toBe(0);
    // The raw JSON, one click away.
    await page.click('#job-detail details.raw summary');
    expect(JSON.parse((await page.locator('#job-detail details.raw pre').textContent())!)).toMatchObject({ model: expect.any(String) });
    // And the live list has it, COMPLETED, with its attempts.
    const row = page.locator(`tr[data-job-id="${alicesJob}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: UI_TIMEOUT }).toBe('COMPLETED');
    expect(await row.locator('td[data-label=Attempts]').textContent()).toBe('1 / 3');
  }, 60_000);

  it('shows a slow job PROCESSING with its progress, cancels it, and retries it', async () => {
    const page = await alice();
    const id = await createJob(page, 'AI_PREVIEW', (p) => p.fill('#field-AI_PREVIEW-prompt', `Slow one ${nonce()} [[delay:10000]]`));
    await expect.poll(() => detailStatus(page), { timeout: UI_TIMEOUT }).toBe('PROCESSING');
    const row = page.locator(`tr[data-job-id="${id}"]`);
    await expect.poll(() => row.locator('progress').getAttribute('value'), { timeout: UI_TIMEOUT }).toBe('10');
    expect(await row.locator('.progress span').textContent()).toBe('10% · waiting for model');
    await page.click('#job-detail button:text("Cancel job")');
    await expect.poll(() => detailStatus(page), { timeout: UI_TIMEOUT }).toBe('CANCELLED');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: UI_TIMEOUT }).toBe('CANCELLED');
    // Retry from the list: it runs again (and is cancelled again).
    await row.locator('button:text("Retry")').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: UI_TIMEOUT }).not.toBe('CANCELLED');
    await row.locator('button:text("Cancel")').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: UI_TIMEOUT }).toBe('CANCELLED');
  }, 60_000);

  it('uploads a document for a PARSE_DOCUMENT job and shows its structured result as tables', async () => {
    const page = await alice();
    await createJob(page, 'PARSE_DOCUMENT', (p) =>
      p.setInputFiles('#field-PARSE_DOCUMENT-document', {
        name: 'harvest.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('Harvest plan\n\nWe harvest in October. Risks: rain, frost and labour shortages.\n'),
      }),
    );
    await expect.poll(() => detailStatus(page), { timeout: UI_TIMEOUT }).toBe('COMPLETED');
    // The badge turns COMPLETED on the last poll; the record with its result follows.
    expect(await page.locator('#job-detail .result table caption').first().textContent()).toMatch(/^Sections \(\d+\)$/);
    await page.waitForSelector(`tr[data-job-id="${alicesJob}"]`);
    mkdirSync(path.join(PROJECT_ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(PROJECT_ROOT, 'test-results', 'console.png'), fullPage: true });
  }, 60_000);

  it("does not show alice's jobs in bob's console", async () => {
    const page = await openConsole();
    await signIn(page, 'bob');
    await page.waitForSelector('p.empty:not([hidden])');
    expect(await rowIds(page)).toEqual([]);
    expect(await page.locator(`text=${alicesJob.slice(0, 8)}`).count()).toBe(0);
  }, 60_000);

  it('pages through a list and filters it by status and type', async () => {
    const api = dev.client('dave');
    const created = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => api.createJob(`Paging ${i} ${nonce()}`)));
    const failing = await api.createJob(`Refused ${nonce()} [[fail:ValidationException]]`);
    await api.waitForFinish(failing);
    const page = await openConsole();
    await signIn(page, 'dave');
    await page.selectOption('#page-size', '5');
    await expect.poll(() => rowIds(page)).toHaveLength(5);
    const first = await rowIds(page);
    await page.click('button:text("Next page")');
    await expect.poll(() => page.locator('#page-label').textContent()).toBe('Page 2');
    await expect.poll(() => rowIds(page)).toHaveLength(3);
    const second = await rowIds(page);
    expect(new Set([...first, ...second])).toEqual(new Set([...created, failing]));
    expect(await page.locator('button:text("Next page")').isDisabled()).toBe(true);
    await page.click('button:text("Previous page")');
    await expect.poll(() => rowIds(page)).toEqual(first);

    await page.selectOption('#filter-status', 'FAILED');
    await expect.poll(() => rowIds(page)).toEqual([failing]);
    expect(await page.locator(`tr[data-job-id="${failing}"] .error-cell`).textContent()).toContain('ValidationException');
    await page.selectOption('#filter-status', '');
    await page.selectOption('#filter-type', 'PARSE_DOCUMENT');
    await page.waitForSelector('p.empty:not([hidden])');
    expect(await rowIds(page)).toEqual([]);
  }, 60_000);

  it('is usable on a phone-sized screen, with a label for every control and a visible keyboard focus', async () => {
    const page = await alice();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForSelector('table.jobs tbody tr');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await page.locator('#new-job button[type=submit]').isVisible()).toBe(true);
    // Run in the page (a string: the tests compile without the DOM's types).
    const unlabelled = await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
      .filter((control) => control.labels.length === 0 && !control.getAttribute('aria-label'))
      .map((control) => control.outerHTML)`);
    expect(unlabelled).toEqual([]);
    await page.focus('#job-type');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate('`${getComputedStyle(document.activeElement).outlineStyle} ${getComputedStyle(document.activeElement).outlineWidth}`');
    expect(outline).toBe('solid 3px');
    await page.screenshot({ path: path.join(PROJECT_ROOT, 'test-results', 'console-phone.png'), fullPage: true });
  }, 60_000);
});

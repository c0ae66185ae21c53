/**
 * The web console in a real browser: Debian's Chromium (CHROMIUM_PATH overrides /usr/bin/chromium)
 * driven headless by playwright-core, against one `npm run dev` (the shared fixture). Every page
 * must log no console error. Saves test-results/console.png (git-ignored; docs/console.png is a
 * copy of it for the README).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const UI_TIMEOUT = 20_000;

const dev = useDevServer({ users: ['dave'], label: 'jobs-browser-' });
let browser: Browser;
const contexts: BrowserContext[] = [];
const problems: string[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
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
  await page.click('#new-job button[type=submit]');
  await page.waitForSelector('#job-detail:not([hidden]) code');
  return (await page.locator('#job-detail dd code').first().textContent())!;
}

const detailStatus = (page: Page) => page.locator('#detail-status').textContent();
const rowIds = (page: Page) => page.locator('table.jobs tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id')));

describe('the web console', () => {
  let alicesJob = '';

  it('signs in, creates an AI_PREVIEW job and shows it COMPLETED with its output, Markdown rendered and HTML kept as text', async () => {
    const page = await openConsole();
    await signIn(page, 'alice');
    alicesJob = await createJob(page, 'AI_PREVIEW', (p) => p.fill('#field-AI_PREVIEW-prompt', 'Plan a **bold** harvest <img src=x onerror=alert(1)>'));
    await expect.poll(() => detailStatus(page), { timeout: UI_TIMEOUT }).toBe('COMPLETED');
    const output = page.locator('#job-detail .markdown');
    expect(await output.textContent()).toContain('[Bedrock stand-in');
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
    const page = await openConsole();
    await signIn(page, 'alice');
    const id = await createJob(page, 'AI_PREVIEW', (p) => p.fill('#field-AI_PREVIEW-prompt', `Slow one ${Date.now()} [[delay:60000]]`));
    await expect.poll(() => detailStatus(page), { timeout: UI_TIMEOUT }).toBe('PROCESSING');
    const row = page.locator(`tr[data-job-id="${id}"]`);
    await expect.poll(() => row.locator('progress').getAttribute('value'), { timeout: UI_TIMEOUT }).toBe('10');
    expect(await row.locator('.progress span').textContent()).toBe('10% · waiting for model');
    await page.click('#job-detail button:text("Cancel job")');
    await expect.poll(() => detailStatus(page), { timeout: UI_TIMEOUT }).toBe('CANCELLED');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: UI_TIMEOUT }).toBe('CANCELLED');
    // Retry from the list: it runs again (and is cancelled again, not to hold a worker for a minute).
    await row.locator('button:text("Retry")').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: UI_TIMEOUT }).not.toBe('CANCELLED');
    await row.locator('button:text("Cancel")').click();
    await expect.poll(() => row.getAttribute('data-status'), { timeout: UI_TIMEOUT }).toBe('CANCELLED');
  }, 60_000);

  it('uploads a document for a PARSE_DOCUMENT job and shows its structured result as tables', async () => {
    const page = await openConsole();
    await signIn(page, 'alice');
    await createJob(page, 'PARSE_DOCUMENT', (p) =>
      p.setInputFiles('#field-PARSE_DOCUMENT-document', {
        name: 'harvest.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('Harvest plan\n\nWe harvest in October. Risks: rain, frost and labour shortages.\n'),
      }),
    );
    await expect.poll(() => detailStatus(page), { timeout: UI_TIMEOUT }).toBe('COMPLETED');
    expect(await page.locator('#job-detail .result table caption').count()).toBeGreaterThan(0);
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
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await api.createJob(`Paging ${i} ${Date.now()}`));
    const failing = await api.createJob(`Refused ${Date.now()} [[fail:ValidationException]]`);
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
    const page = await openConsole({ width: 390, height: 844 });
    await signIn(page, 'alice');
    await page.waitForSelector('table.jobs tbody tr');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await page.locator('#new-job button[type=submit]').isVisible()).toBe(true);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((control) => (control as HTMLInputElement).labels?.length === 0 && !control.getAttribute('aria-label'))
        .map((control) => control.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    await page.focus('#job-type');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement!);
      return `${style.outlineStyle} ${style.outlineWidth}`;
    });
    expect(outline).toBe('solid 3px');
  }, 60_000);
});

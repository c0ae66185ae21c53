/**
 * The caller's jobs: filters (status, type), a page at a time (Previous / Next over the API's
 * cursors), refreshed every 1.5 s while a job on the page is unfinished (every 10 s otherwise),
 * with each job's status, progress bar, attempts and error, and its actions (open, cancel, retry).
 */
import { RETRYABLE_STATUSES, TERMINAL_STATUSES, type JobsClient, type JobSummary, type ListFilters } from '../../client/index.ts';
import type { JobTypeCatalogue } from './catalogue.ts';
import { clear, h, humanize, time } from './dom.ts';

export interface JobListActions {
  open(id: string): void;
  cancel(id: string): Promise<void>;
  retry(id: string): Promise<void>;
}

const LIVE_MS = 1500;
const IDLE_MS = 10_000;

export function progressBar(job: Pick<JobSummary, 'status' | 'progress'>): HTMLElement {
  const percent = job.status === 'COMPLETED' ? 100 : (job.progress?.percent ?? 0);
  const text = job.progress?.message ? `${percent}% · ${job.progress.message}` : `${percent}%`;
  return h('div', { class: 'progress' }, h('progress', { max: 100, value: percent, 'aria-label': `Progress: ${text}` }), h('span', {}, text));
}

export function jobList(catalogue: JobTypeCatalogue, client: () => JobsClient, actions: JobListActions, report: (message: string, error?: unknown) => void) {
  const statusFilter = h('select', { id: 'filter-status' }, h('option', { value: '' }, 'Any status'), ...catalogue.statuses.map((s) => h('option', { value: s }, humanize(s))));
  const typeFilter = h('select', { id: 'filter-type' }, h('option', { value: '' }, 'Any type'), ...catalogue.types.map((t) => h('option', { value: t.name }, humanize(t.name))));
  const sizeSelect = h('select', { id: 'page-size' }, ...[5, 10, 20, 50].map((n) => h('option', { value: n, selected: n === 10 }, String(n))));
  const body = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No jobs here yet.');
  const previous = h('button', { type: 'button', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', disabled: true }, 'Next page');
  const pageLabel = h('span', { 'aria-live': 'polite', id: 'page-label' }, 'Page 1');

  /** Cursors of the pages before the shown one, and the shown one's (null for the first). */
  const cursors: (string | null)[] = [null];
  let nextCursor: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let loading: AbortController | undefined;

  const filters = (): ListFilters => ({
    ...(statusFilter.value ? { status: statusFilter.value as ListFilters['status'] & string } : {}),
    ...(typeFilter.value ? { type: typeFilter.value } : {}),
    limit: Number(sizeSelect.value),
  });

  const row = (job: JobSummary) => {
    const unfinished = !TERMINAL_STATUSES.includes(job.status);
    return h(
      'tr',
      { 'data-job-id': job.id, 'data-status': job.status },
      h('td', { 'data-label': 'Job' }, h('button', { type: 'button', class: 'link', onclick: () => actions.open(job.id), 'aria-label': `Open ${humanize(job.type)} job ${job.id}` }, humanize(job.type)), h('br'), h('code', { class: 'id' }, job.id.slice(0, 8))),
      h('td', { 'data-label': 'Status' }, h('span', { class: `status status-${job.status.toLowerCase()}` }, job.status)),
      h('td', { 'data-label': 'Progress' }, progressBar(job)),
      h('td', { 'data-label': 'Attempts' }, `${job.attempts} / ${job.maxAttempts}`),
      h('td', { 'data-label': 'Created' }, time(job.createdAt)),
      h('td', { 'data-label': 'Error', class: 'error-cell' }, job.error ?? ''),
      h(
        'td',
        { 'data-label': 'Actions' },
        h(
          'div',
          { class: 'actions' },
          unfinished ? h('button', { type: 'button', onclick: () => void actions.cancel(job.id), 'aria-label': `Cancel job ${job.id}` }, 'Cancel') : null,
        RETRYABLE_STATUSES.includes(job.status) ? h('button', { type: 'button', onclick: () => void actions.retry(job.id), 'aria-label': `Retry job ${job.id}` }, 'Retry') : null,
        ),
      ),
    );
  };

  const load = async () => {
    clearTimeout(timer);
    loading?.abort();
    const controller = (loading = new AbortController());
    let delay = IDLE_MS;
    try {
      const page = await client().listPage(filters(), cursors[cursors.length - 1], { signal: controller.signal });
      if (controller.signal.aborted) return;
      clear(body);
      for (const job of page.items) body.append(row(job));
      empty.hidden = page.items.length > 0;
      nextCursor = page.nextCursor;
      next.disabled = !nextCursor;
      previous.disabled = cursors.length <= 1;
      pageLabel.textContent = `Page ${cursors.length}`;
      if (page.items.some((job) => !TERMINAL_STATUSES.includes(job.status))) delay = LIVE_MS;
    } catch (error) {
      if (controller.signal.aborted) return;
      report('The list could not be loaded', error);
    }
    timer = setTimeout(() => void load(), delay);
  };

  const restart = () => {
    cursors.splice(1);
    void load();
  };
  for (const select of [statusFilter, typeFilter, sizeSelect]) select.addEventListener('change', restart);
  next.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors.push(nextCursor);
    void load();
  });
  previous.addEventListener('click', () => {
    if (cursors.length > 1) cursors.pop();
    void load();
  });

  const element = h(
    'section',
    { id: 'jobs', 'aria-labelledby': 'jobs-title' },
    h('h2', { id: 'jobs-title' }, 'Your jobs'),
    h(
      'div',
      { class: 'filters' },
      h('div', { class: 'row' }, h('label', { for: 'filter-status' }, 'Status'), statusFilter),
      h('div', { class: 'row' }, h('label', { for: 'filter-type' }, 'Type'), typeFilter),
      h('div', { class: 'row' }, h('label', { for: 'page-size' }, 'Per page'), sizeSelect),
    ),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'jobs' },
        h('caption', { class: 'visually-hidden' }, 'Your jobs, newest first'),
        h('thead', {}, h('tr', {}, ...['Job', 'Status', 'Progress', 'Attempts', 'Created', 'Error', 'Actions'].map((title) => h('th', { scope: 'col' }, title)))),
        body,
      ),
    ),
    empty,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, previous, pageLabel, next),
  );
  return {
    element,
    /** Loads the shown page now (after a create, a cancel, a retry). */
    refresh: () => void load(),
    /** Back to the first page. */
    restart,
    stop: () => {
      clearTimeout(timer);
      loading?.abort();
    },
  };
}

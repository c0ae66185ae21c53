/**
 * The web console: sign in, create jobs, watch them, open results, cancel and retry. Everything
 * goes through the typed client (client/), which makes this the client's living example.
 */
import { JobsClient, ProblemError, RETRYABLE_STATUSES, TERMINAL_STATUSES, type Job } from '../../client/index.ts';
import { completeHostedUiSignIn, currentSession, devSignIn, hostedUiSignIn, signOut, type Session } from './auth.ts';
import type { JobTypeCatalogue } from './catalogue.ts';
import type { ConsoleConfig } from './config.ts';
import { append, clear, h, humanize, time } from './dom.ts';
import { jobForm } from './job-form.ts';
import { jobList, progressBar } from './job-list.ts';
import { renderResult } from './result-view.ts';

const root = document.getElementById('app')!;
const announcer = document.getElementById('announce')!;
const alerts = document.getElementById('alerts')!;
/** Stops the shown console's timers and polls (before signing out or in again). */
let teardown: (() => void) | undefined;

/** Tells screen readers (and the page) what happened; an error goes to the alert region. */
function report(message: string, error?: unknown): void {
  if (error === undefined) {
    announcer.textContent = message;
    return;
  }
  if (error instanceof ProblemError && error.status === 401) {
    signOut();
    void start();
    return;
  }
  const detail = error instanceof ProblemError ? error.problem.detail : error instanceof Error ? error.message : String(error);
  const fieldErrors = error instanceof ProblemError && Array.isArray(error.problem.errors) ? (error.problem.errors as { path: string; message: string }[]) : [];
  clear(alerts);
  alerts.append(
    h(
      'div',
      { class: 'alert' },
      h('p', {}, h('strong', {}, `${message}: `), detail),
      fieldErrors.length > 0 ? h('ul', {}, ...fieldErrors.map((fieldError) => h('li', {}, `${fieldError.path}: ${fieldError.message}`))) : null,
      h('button', { type: 'button', onclick: () => clear(alerts) }, 'Dismiss'),
    ),
  );
}

async function loadJson<T>(path: string): Promise<T> {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as T;
}

function signInView(config: ConsoleConfig): HTMLElement {
  if (config.signIn.kind === 'hosted-ui') {
    const hostedUi = config.signIn;
    return h('main', { id: 'sign-in' }, h('h1', {}, 'Jobs console'), h('button', { type: 'button', onclick: () => void hostedUiSignIn(hostedUi) }, 'Sign in'));
  }
  const username = h('input', { id: 'username', name: 'username', type: 'text', autocomplete: 'username', required: true, value: 'alice' });
  const form = h(
    'form',
    { id: 'sign-in-form' },
    h('h1', {}, 'Jobs console'),
    h('p', { class: 'hint' }, 'Local development: sign in as any user. The same name is always the same user, and sees only its own jobs.'),
    h('div', { class: 'row' }, h('label', { for: 'username' }, 'Username'), username),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    devSignIn(username.value.trim())
      .then(() => start())
      .catch((error: unknown) => report('Sign-in failed', error));
  });
  return h('main', { id: 'sign-in' }, form);
}

function consoleView(config: ConsoleConfig, catalogue: JobTypeCatalogue, session: Session): HTMLElement {
  const jobsClient = new JobsClient({ baseUrl: config.apiUrl, token: () => currentSession()?.idToken });
  const client = () => jobsClient;
  const detail = h('section', { id: 'job-detail', 'aria-labelledby': 'detail-title', hidden: true, tabindex: -1 });
  let watching: AbortController | undefined;

  const showJob = (job: Job) => {
    clear(detail);
    detail.hidden = false;
    const finished = TERMINAL_STATUSES.includes(job.status);
    append(
      detail,
      h('h2', { id: 'detail-title' }, `${humanize(job.type)} job`),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Id'), h('dd', {}, h('code', {}, job.id)),
        h('dt', {}, 'Status'), h('dd', {}, h('span', { class: `status status-${job.status.toLowerCase()}`, id: 'detail-status' }, job.status)),
        h('dt', {}, 'Progress'), h('dd', {}, progressBar(job)),
        h('dt', {}, 'Attempts'), h('dd', {}, `${job.attempts} / ${job.maxAttempts}`),
        h('dt', {}, 'Created'), h('dd', {}, time(job.createdAt)),
        h('dt', {}, 'Finished'), h('dd', {}, time(job.completedAt)),
        job.error ? h('dt', {}, 'Error') : null, job.error ? h('dd', { class: 'error-cell' }, job.error) : null,
      ),
      h(
        'div',
        { class: 'actions' },
        !finished ? h('button', { type: 'button', onclick: () => void cancel(job.id) }, 'Cancel job') : null,
        RETRYABLE_STATUSES.includes(job.status) ? h('button', { type: 'button', onclick: () => void retry(job.id) }, 'Retry job') : null,
        h('button', { type: 'button', onclick: closeDetail }, 'Close'),
      ),
      job.status === 'COMPLETED' && job.result ? h('section', { 'aria-label': 'Result' }, h('h3', {}, 'Result'), renderResult(job.result)) : null,
      job.status === 'COMPLETED' && !job.result ? h('p', {}, 'The job completed without a result.') : null,
    );
  };

  const closeDetail = () => {
    watching?.abort(new Error('closed'));
    detail.hidden = true;
    clear(detail);
  };

  /** Shows the job and follows it until it finishes (waitForJob: polls as the API says). */
  const open = async (id: string) => {
    watching?.abort(new Error('another job opened'));
    const controller = (watching = new AbortController());
    try {
      const job = await client().getJob(id, { signal: controller.signal });
      showJob(job);
      detail.focus();
      if (TERMINAL_STATUSES.includes(job.status)) return;
      const done = await client().waitForJob(id, {
        signal: controller.signal,
        onProgress: (status) => {
          if (controller.signal.aborted) return;
          const badge = document.getElementById('detail-status');
          if (badge) {
            badge.textContent = status.status;
            badge.className = `status status-${status.status.toLowerCase()}`;
          }
          const bar = detail.querySelector('.progress');
          bar?.replaceWith(progressBar(status));
        },
      });
      if (!controller.signal.aborted) {
        showJob(done);
        report(`${humanize(done.type)} job ${done.id.slice(0, 8)} is ${done.status}`);
      }
    } catch (error) {
      if (!controller.signal.aborted) report('The job could not be shown', error);
    }
  };

  const cancel = async (id: string) => {
    try {
      await client().cancelJob(id);
      report(`Cancelled job ${id.slice(0, 8)}`);
    } catch (error) {
      report('The job was not cancelled', error);
    }
    list.refresh();
    if (!detail.hidden) void open(id);
  };
  const retry = async (id: string) => {
    try {
      await client().retryJob(id, { idempotencyKey: crypto.randomUUID() });
      report(`Job ${id.slice(0, 8)} runs again`);
    } catch (error) {
      report('The job was not retried', error);
    }
    list.refresh();
    if (!detail.hidden) void open(id);
  };

  const list = jobList(catalogue, client, { open: (id) => void open(id), cancel, retry }, report);
  const form = jobForm(catalogue, client, (id) => {
    list.restart();
    void open(id);
  }, report);
  list.refresh();
  teardown = () => {
    list.stop();
    watching?.abort(new Error('signed out'));
  };

  return h(
    'div',
    { class: 'layout' },
    h(
      'header',
      {},
      h('h1', {}, 'Jobs console'),
      h(
        'p',
        { class: 'who' },
        'Signed in as ',
        h('strong', { id: 'signed-in-user' }, session.username),
        ' ',
        h('button', { type: 'button', onclick: () => { signOut(); void start(); } }, 'Sign out'),
      ),
    ),
    h('main', {}, form, h('div', { class: 'wide' }, list.element, detail)),
  );
}

async function start(): Promise<void> {
  teardown?.();
  teardown = undefined;
  clear(root);
  clear(alerts);
  try {
    const [config, catalogue] = await Promise.all([loadJson<ConsoleConfig>('console/config.json'), loadJson<JobTypeCatalogue>('console/job-types.json')]);
    const session = currentSession() ?? (await completeHostedUiSignIn(config));
    root.append(session ? consoleView(config, catalogue, session) : signInView(config));
    (root.querySelector('#username, #new-job select') as HTMLElement | null)?.focus();
  } catch (error) {
    report('The console could not start', error);
  }
}

void start();

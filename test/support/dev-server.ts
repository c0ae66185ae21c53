/**
 * End-to-end support: runs `npm run dev` (bin/dev.ts) as a child process on a free port and a
 * temporary data folder, issues tokens with the token command (bin/token.ts), and talks to the
 * gateway over HTTP with the global fetch, as a user would, checking each answer against
 * openapi.json (openapi-contract.ts). Nothing here imports the product's runtime: the suite sees
 * only the process, its output, the HTTP API and its published document.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV } from '../../lambdas/shared/resources.ts';
import { assertConforms } from './openapi-contract.ts';
import { pollUntil as basePollUntil, type PollOptions } from './poll.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `Jobs API ready at http://127.0.0.1:<port> …`: the one line bin/dev.ts prints on stdout. */
export const READY_LINE = /^Jobs API ready at (http:\/\/127\.0\.0\.1:(\d+))\b.*$/m;
export const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Polling cadence of every wait in the suite. */
export const POLL_INTERVAL_MS = 150;

// ---------------------------------------------------------------------------------------------
// Data folders and the child's environment

export function makeDataDir(label = 'jobs-e2e-'): string {
  return mkdtempSync(path.join(tmpdir(), label));
}

export function removeDataDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * The environment of a user's shell: the test process's, without what test/setup.ts and the
 * developer's own shell may have set for the functions or for AWS (an AWS_ENDPOINT_URL would
 * send the runtime to another endpoint; a CURSOR_SECRET would replace the data folder's).
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const drop = new Set<string>([...Object.values(ENV), 'LOG_LEVEL', 'JOBS_DEV_DATA', 'PORT', 'NODE_OPTIONS']);
  for (const name of Object.keys(env)) {
    if (drop.has(name) || name.startsWith('AWS_') || name.startsWith('POWERTOOLS_')) delete env[name];
  }
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------
// The dev server

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StopResult extends ExitInfo {
  /** True when SIGKILL was needed after the grace period. */
  readonly forced: boolean;
  readonly ms: number;
}

export interface DevServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  /** Everything the child wrote on stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the child has exited. */
  readonly exited: Promise<ExitInfo>;
  /** False once the child has exited. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<StopResult>;
  /** SIGKILL at once: a crash. */
  kill(): Promise<ExitInfo>;
}

export interface StartOptions {
  readonly dataDir: string;
  /** Extra environment for the child (e.g. RETRY_BASE_DELAY_SECONDS). */
  readonly env?: Record<string, string>;
  readonly readyTimeoutMs?: number;
}

/** Children still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/**
 * `node --import tsx bin/dev.ts --port 0 --data <dir>`; resolves once the ready line is out.
 * Fails with the child's stderr if it exits first or the line does not come within the timeout.
 */
export async function startDevServer(options: StartOptions): Promise<DevServer> {
  installExitHook();
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.ts', '--port', '0', '--data', options.dataDir], {
    cwd: PROJECT_ROOT,
    env: childEnv({ LOG_LEVEL: 'warn', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  // Swallow spawn errors here; they surface as an early exit below.
  child.once('error', (error) => (err += `\n[spawn error] ${error.message}`));

  const describeChild = () =>
    `\n--- dev server stdout ---\n${out || '(empty)'}\n--- dev server stderr ---\n${err.slice(-8000) || '(empty)'}`;

  const ready = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    const check = () => {
      // Only a complete line counts.
      const complete = out.slice(0, out.lastIndexOf('\n') + 1);
      const match = READY_LINE.exec(complete);
      if (match) {
        cleanup();
        resolve({ url: match[1]!, port: Number(match[2]) });
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`The dev server printed no ready line within ${readyTimeoutMs} ms${describeChild()}`));
    }, readyTimeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      // Let the last output arrive before reporting it.
      setImmediate(() =>
        reject(new Error(`The dev server exited (code ${code}, signal ${signal}) before it was ready${describeChild()}`)),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', check);
    child.once('exit', onExit);
    check();
  });

  const kill = async (): Promise<ExitInfo> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  };
  return {
    ...ready,
    dataDir: options.dataDir,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    kill,
    async stop(graceMs = 10_000) {
      const started = Date.now();
      if (child.exitCode !== null || child.signalCode !== null) return { ...(await exited), forced: false, ms: 0 };
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([
        exited.then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (!graceful) {
        const info = await kill();
        return { ...info, forced: true, ms: Date.now() - started };
      }
      return { ...(await exited), forced: false, ms: Date.now() - started };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Tokens

function run(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 30_000,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: PROJECT_ROOT, env, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** `node --import tsx bin/token.ts <username> [--expires-in N]` with JOBS_DEV_DATA=<dataDir>. */
export async function issueToken(dataDir: string, username: string, options: { expiresInSeconds?: number } = {}): Promise<string> {
  const args = ['--import', 'tsx', 'bin/token.ts', username];
  if (options.expiresInSeconds !== undefined) args.push('--expires-in', String(options.expiresInSeconds));
  const { stdout } = await run(process.execPath, args, childEnv({ JOBS_DEV_DATA: dataDir }));
  const token = stdout.trim();
  if (!JWT.test(token)) throw new Error(`The token command printed something other than a JWT: ${JSON.stringify(stdout)}`);
  return token;
}

/**
 * Tokens for several users, issued a few at a time (each is a process start): start it
 * alongside the dev server to overlap the two.
 */
export async function issueTokens(dataDir: string, usernames: readonly string[], concurrency = 4): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const queue = [...usernames];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let username = queue.shift(); username !== undefined; username = queue.shift()) {
        tokens.set(username, await issueToken(dataDir, username));
      }
    }),
  );
  return tokens;
}

/** `npm run --silent token -- <username>` with JOBS_DEV_DATA=<dataDir>: stdout as printed. */
export async function npmToken(dataDir: string, username: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { stdout } = await run(npm, ['run', '--silent', 'token', '--', username], childEnv({ JOBS_DEV_DATA: dataDir }), 60_000);
  return stdout;
}

/**
 * `npm run --silent token -- --client <name> --scope "<scope>"` with JOBS_DEV_DATA=<dataDir>: a
 * machine client's access token (the command as the README gives it); `npm: false` runs
 * bin/token.ts directly (quicker, same code).
 */
export async function issueClientToken(dataDir: string, name: string, scope: string, options: { npm?: boolean } = {}): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['--client', name, '--scope', scope];
  const { stdout } = options.npm
    ? await run(npm, ['run', '--silent', 'token', '--', ...args], childEnv({ JOBS_DEV_DATA: dataDir }), 60_000)
    : await run(process.execPath, ['--import', 'tsx', 'bin/token.ts', ...args], childEnv({ JOBS_DEV_DATA: dataDir }));
  if (!JWT.test(stdout.trim()) || !stdout.endsWith('\n')) throw new Error(`The token command printed something other than a JWT line: ${JSON.stringify(stdout)}`);
  return stdout.trim();
}

/** The claims of a JWT, unverified (to read `exp`). */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Runs a shell command line as a user would paste it (for the ready line's example). */
export function shell(command: string, env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run('bash', ['-c', command], childEnv(env), 60_000);
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  readonly json: any;
}

export interface CallOptions {
  readonly method?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** An object is sent as JSON; a string as is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

export async function call(baseUrl: string, pathAndQuery: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const send = () =>
    fetch(`${baseUrl}${pathAndQuery}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  let response: Response;
  try {
    response = await send();
  } catch (error) {
    // A kept-alive connection the server closed just as it was reused: a GET is safe to send
    // once more. A server that is really down refuses the second one too.
    if (method !== 'GET' || !isStaleConnection(error)) throw error;
    response = await send();
  }
  const text = await response.text();
  let json: any;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const answer = { status: response.status, headers: response.headers, text, json };
  // The contract test: every answer the e2e suites receive conforms to openapi.json.
  assertConforms(method, pathAndQuery, answer, body);
  return answer;
}

function isStaleConnection(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return error instanceof TypeError && (cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET');
}

/** A caller of the API with one token. */
export class Client {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  call(pathAndQuery: string, options: Omit<CallOptions, 'token'> = {}): Promise<Answer> {
    return call(this.baseUrl, pathAndQuery, { ...options, token: this.token });
  }

  create(input: Record<string, unknown>, type = 'AI_PREVIEW'): Promise<Answer> {
    return this.call('/api/jobs', { method: 'POST', body: { type, input } });
  }

  /** Creates an AI_PREVIEW job and returns its id; fails unless the answer is 202. */
  async createJob(prompt: string): Promise<string> {
    const answer = await this.create({ prompt });
    if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
    return answer.json.id as string;
  }

  get(id: string): Promise<Answer> {
    return this.call(`/api/jobs/${id}`);
  }

  async job(id: string): Promise<any> {
    const answer = await this.get(id);
    if (answer.status !== 200) throw new Error(`GET /api/jobs/${id} answered ${answer.status}: ${answer.text}`);
    return answer.json;
  }

  result(id: string): Promise<Answer> {
    return this.call(`/api/jobs/${id}/result`);
  }

  cancel(id: string): Promise<Answer> {
    return this.call(`/api/jobs/${id}/cancel`, { method: 'POST' });
  }

  retry(id: string): Promise<Answer> {
    return this.call(`/api/jobs/${id}/retry`, { method: 'POST' });
  }

  list(query = ''): Promise<Answer> {
    return this.call(`/api/jobs${query}`);
  }

  /** Every job of the caller, walking the pages. */
  async allJobs(): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const answer = await this.list(`?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (answer.status !== 200) throw new Error(`list answered ${answer.status}: ${answer.text}`);
      items.push(...answer.json.items);
      cursor = answer.json.nextCursor;
      if (!cursor) return items;
    }
    throw new Error('list did not end within 100 pages');
  }

  /** Polls the job until `done` holds; the error names the last record read. */
  waitFor(id: string, done: (job: any) => boolean, what: string, timeoutMs = 20_000): Promise<any> {
    return pollUntil(() => this.job(id), done, { timeoutMs, what: `job ${id} ${what}` });
  }

  /** Polls until the job is COMPLETED, FAILED or CANCELLED. */
  waitForFinish(id: string, timeoutMs = 20_000): Promise<any> {
    return this.waitFor(id, (job) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.status), 'to finish', timeoutMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting

/** Waiting with deadlines (test/support/poll.ts) with end-to-end defaults: 10 s, every 150 ms. */
export function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, options: PollOptions = {}): Promise<T> {
  return basePollUntil(read, done, { timeoutMs: 10_000, intervalMs: POLL_INTERVAL_MS, ...options });
}

/** A string no other test (or earlier run) uses, to keep the stand-in's fault counters apart. */
export function nonce(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The client's errors: the API's problem details, typed, and a wait that ran out of time. */
import type { Problem, ProblemCode } from './types.ts';

/** Every non-2xx answer of the API: its RFC 9457 problem details (`application/problem+json`). */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly status: number;
  readonly code: ProblemCode | 'UNEXPECTED_RESPONSE';
  readonly problem: Problem;
  /** The answer's `Retry-After`, in seconds, when it had one (429, 503). */
  readonly retryAfterSeconds: number | null;

  constructor(problem: Problem, retryAfterSeconds: number | null) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** `err instanceof ProblemError && err.code === …` in one call. */
  static is(error: unknown, code?: ProblemCode): error is ProblemError {
    return error instanceof ProblemError && (code === undefined || error.code === code);
  }
}

/** waitForJob's `timeoutMs` passed before the job finished. */
export class WaitTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(`Job ${jobId} did not finish within ${timeoutMs} ms`);
  }
}

/** The problem of an answer: its body when it is one, else one made up from the status. */
export async function problemOf(response: Response): Promise<ProblemError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const retryAfter = retryAfterSeconds(response.headers.get('Retry-After'));
  if (isProblem(body)) return new ProblemError(body, retryAfter);
  const problem = {
    type: 'about:blank',
    title: response.statusText || 'Unexpected response',
    status: response.status,
    detail: text.slice(0, 200) || `HTTP ${response.status}`,
    code: 'UNEXPECTED_RESPONSE',
    requestId: response.headers.get('x-amzn-RequestId') ?? response.headers.get('X-Request-Id') ?? '',
  } as unknown as Problem;
  return new ProblemError(problem, retryAfter);
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const { status, code, detail } = body as Record<string, unknown>;
  return typeof status === 'number' && typeof code === 'string' && typeof detail === 'string';
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Fault injection for the Bedrock stand-in: directives written anywhere in the user messages'
 * text, the system prompt or the text of a txt/md/csv/html document (not pdf or binary documents)
 * (the first directive of each kind applies, system first, then messages, then documents; all are
 * removed from the text the answer is built from):
 * - `[[fail:<ErrorName>:<n>]]`: the first n calls *for that job* fail with that error;
 *   `[[fail:<ErrorName>]]`: every call fails. For ModelErrorException, `[[fail:ModelErrorException@503]]`
 *   sets the model's `originalStatusCode` (default 400, which the adapter treats as non-retryable).
 * - `[[delay:<ms>]]`: every call (failing or not) answers after that many ms (at most 120000).
 *   If the client goes away meanwhile (abort, client timeout), the call is dropped quietly.
 * - `[[words:<n>]]`: a text answer gets n more words (at most 200000; still cut to maxTokens), to
 *   try large results.
 * A malformed directive (e.g. `[[fail:]]`, `[[delay:soon]]`) answers 400 ValidationException.
 *
 * "For that job": calls are counted per key = SHA-256 of the model id + the full request text
 * (system + every message's text, directives included, + each document's name, format and bytes'
 * digest; the toolConfig does not count). Retries of a job send the same request and
 * count up; other jobs are independent. Two jobs with identical prompts share one counter: add
 * something unique to the prompt (a job id, a nonce) to separate them. A call counts when it
 * arrives, before any delay, even if the client then gives up.
 */
import { BEDROCK_ERRORS, StandInError, UNKNOWN_ERROR_STATUS, validation } from './errors.ts';

/** Upper bound of `[[delay:<ms>]]`. */
export const MAX_DELAY_MS = 120_000;
/** Upper bound of `[[words:<n>]]`. */
const MAX_EXTRA_WORDS = 200_000;
/** Formats whose text is searched for directives. */
export const DIRECTIVE_FORMATS: ReadonlySet<string> = new Set(['txt', 'md', 'csv', 'html']);
/** Per-job call counters kept; the oldest are forgotten beyond this. */
const MAX_TRACKED_KEYS = 10_000;

const DIRECTIVE = /\[\[(fail|delay|words):([^\]]*)\]\]/g;
const FAIL_ARGUMENT = /^([A-Za-z][A-Za-z0-9]*)(?:@(\d{3}))?(?::(\d+))?$/;
const COUNT_ARGUMENT = /^\d+$/;
const FAULT_SUFFIX = '(stand-in fault injection)';
const DEFAULT_ORIGINAL_STATUS = 400;

export interface FailDirective {
  readonly name: string;
  /** Calls that fail; undefined = all. */
  readonly count: number | undefined;
  readonly originalStatusCode: number | undefined;
}

export interface Directives {
  readonly fail: FailDirective | undefined;
  readonly delayMs: number | undefined;
  readonly extraWords: number | undefined;
}

/** The directives of `text` (the first of each kind); a malformed one is a ValidationException. */
export function parseDirectives(text: string): Directives {
  let fail: FailDirective | undefined;
  let delayMs: number | undefined;
  let extraWords: number | undefined;
  for (const match of text.matchAll(DIRECTIVE)) {
    const [whole, kind, argument = ''] = match;
    if (kind === 'fail') {
      const parts = FAIL_ARGUMENT.exec(argument.trim());
      if (parts === null) throw validation(`Malformed stand-in directive ${whole}: use [[fail:<ErrorName>]] or [[fail:<ErrorName>:<n>]]`);
      fail ??= {
        name: parts[1] ?? '',
        originalStatusCode: parts[2] === undefined ? undefined : Number(parts[2]),
        count: parts[3] === undefined ? undefined : Number(parts[3]),
      };
    } else if (kind === 'words') {
      if (!COUNT_ARGUMENT.test(argument.trim())) throw validation(`Malformed stand-in directive ${whole}: use [[words:<n>]]`);
      extraWords ??= Math.min(Number(argument.trim()), MAX_EXTRA_WORDS);
    } else {
      if (!COUNT_ARGUMENT.test(argument.trim())) throw validation(`Malformed stand-in directive ${whole}: use [[delay:<ms>]]`);
      delayMs ??= Math.min(Number(argument.trim()), MAX_DELAY_MS);
    }
  }
  return { fail, delayMs, extraWords };
}

/** `text` without its directives (each becomes a space). */
export function stripDirectives(text: string): string {
  return text.replace(DIRECTIVE, ' ');
}

/** True when call number `callNumber` of a job fails by `fail`. */
export function failsCall(fail: FailDirective, callNumber: number): boolean {
  return fail.count === undefined || callNumber <= fail.count;
}

/** The error a `[[fail:...]]` directive answers with. */
export function injectedError(fail: FailDirective, modelId: string): StandInError {
  const known = BEDROCK_ERRORS.get(fail.name);
  const message = `${known?.message ?? fail.name} ${FAULT_SUFFIX}`;
  if (fail.name === 'ModelErrorException' || fail.name === 'ModelStreamErrorException') {
    return new StandInError(fail.name, known?.status ?? 424, message, {
      originalStatusCode: fail.originalStatusCode ?? DEFAULT_ORIGINAL_STATUS,
      resourceName: modelId,
    });
  }
  return new StandInError(fail.name, known?.status ?? UNKNOWN_ERROR_STATUS, message);
}

/** Calls per job key, the least recently called forgotten beyond `MAX_TRACKED_KEYS`. */
export class CallCounters {
  private readonly counters = new Map<string, number>();

  /** Counts a call of the job `key`: its number (1 for the first). */
  count(key: string): number {
    const callNumber = (this.counters.get(key) ?? 0) + 1;
    this.counters.delete(key); // re-insert: the Map's order is the forgetting order
    this.counters.set(key, callNumber);
    if (this.counters.size > MAX_TRACKED_KEYS) {
      const oldest = this.counters.keys().next().value;
      if (oldest !== undefined) this.counters.delete(oldest);
    }
    return callNumber;
  }
}

/**
 * A local stand-in for Amazon Bedrock Runtime that speaks the Converse wire API on loopback, so
 * the real `BedrockModel` adapter and the real `@aws-sdk/client-bedrock-runtime` client run
 * unchanged: point the client at it with `endpoint` (see `standInClientConfig`) or with the
 * environment variable `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. No model is called: every answer is
 * derived deterministically from the request and starts with `[Bedrock stand-in · <modelId>] `.
 *
 * This module is its entry point; the pieces live in `./bedrock/`:
 * - `server.ts`: HTTP/1.1 and HTTP/2 on one loopback port, the wire format, errors as Bedrock's;
 * - `converse-validation.ts`: reads a Converse request, rejecting what Bedrock rejects (its limits
 *   are `lambdas/domain/bedrock-limits.ts`, shared with the adapter and the tests);
 * - `directives.ts`: fault injection, `[[fail:<Error>:<n>]]`, `[[delay:<ms>]]`, `[[words:<n>]]`,
 *   counted per job (README: "Fault directives for the Bedrock stand-in");
 * - `document-text.ts`: the text of txt/md/csv/html/pdf documents;
 * - `answer.ts`: the reply, a text or a tool call, usage and stop reason;
 * - `schema-sampler.ts` and `regex-sampler.ts`: a tool call's input from the tool's JSON Schema.
 *
 * SDK RETRIES — READ THIS BEFORE WRITING `[[fail:...:n]]` TESTS: the counter counts HTTP calls,
 * not job attempts. With SDK defaults (standard retry mode, maxAttempts 3) the client itself
 * retries ThrottlingException (429), ModelNotReadyException (429, `$retryable`),
 * InternalServerException (500) and ServiceUnavailableException (503) with backoff, and each of
 * those retries is a separate call here. So `[[fail:ThrottlingException:2]]` with a default client
 * is absorbed inside ONE job attempt (calls 1 and 2 fail inside the SDK, call 3 succeeds); with
 * n = 3 the first job attempt fails after three calls and the second succeeds. The SDK's backoff
 * (up to ~1 s then ~2 s for throttling) also slows such tests down. ModelTimeoutException (408),
 * ServiceQuotaExceededException (400) and the other 4xx are not retried by the SDK. For the local
 * runtime build the worker's client with `standInClientConfig(url)` (maxAttempts 1), or run the
 * worker handler with `BEDROCK_MAX_ATTEMPTS=1` and `AWS_ENDPOINT_URL_BEDROCK_RUNTIME=<url>`: then n is
 * exactly the number of job attempts that fail, and the job's own maxAttempts and the queue's
 * redelivery govern the retries.
 */
export { STAND_IN_LABEL } from './bedrock/answer.ts';
export { MAX_DELAY_MS } from './bedrock/directives.ts';
export { documentText } from './bedrock/document-text.ts';
export { type SampleSource, sampleJsonSchema } from './bedrock/schema-sampler.ts';
export { type BedrockStandIn, type BedrockStandInOptions, type StandInStats, STATS_PATH, startBedrockStandIn } from './bedrock/server.ts';

/** Client settings for talking to the stand-in; see the note on SDK retries at the top. */
export interface StandInClientConfig {
  endpoint: string;
  maxAttempts: number;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Config for `new BedrockRuntimeClient(...)` aimed at the stand-in: one attempt per call, so that
 * a `[[fail:<Name>:<n>]]` directive fails exactly n job attempts; placeholder credentials (the
 * stand-in ignores signatures). Pass `maxAttempts` to get the SDK's own retries back.
 */
export function standInClientConfig(url: string, options: { readonly maxAttempts?: number } = {}): StandInClientConfig {
  return {
    endpoint: url,
    maxAttempts: options.maxAttempts ?? 1,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

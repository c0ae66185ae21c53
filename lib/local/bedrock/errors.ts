/**
 * The errors the Bedrock stand-in answers, as Bedrock Runtime answers them: the HTTP status of the
 * service model, header `x-amzn-errortype: <Name>` and body `{ "message": "..." }` (the server
 * writes them; see `sendError` there).
 */

interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/**
 * Error names by the HTTP status Bedrock Runtime answers them with (the service model's
 * `httpError` trait, as in the SDK's error schemas), each with a message like Bedrock's.
 */
const ERRORS_BY_STATUS: Readonly<Record<number, Readonly<Record<string, string>>>> = {
  400: { ServiceQuotaExceededException: 'Too many tokens per minute', ValidationException: 'Input validation failed', ConflictException: 'Conflict' },
  403: { AccessDeniedException: "You don't have access to the model with the specified model ID" },
  404: { ResourceNotFoundException: 'Model not found' },
  408: { ModelTimeoutException: 'Model has timed out in processing the request' },
  424: { ModelErrorException: 'The model returned an error', ModelStreamErrorException: 'The model returned an error' },
  429: { ThrottlingException: 'Rate exceeded', ModelNotReadyException: 'Model is not ready to serve inference requests' },
  500: { InternalServerException: 'Internal server error' },
  503: { ServiceUnavailableException: 'Service unavailable' },
};

/** Bedrock's errors by name; unknown names answer `UNKNOWN_ERROR_STATUS`. */
export const BEDROCK_ERRORS: ReadonlyMap<string, ErrorSpec> = new Map(
  Object.entries(ERRORS_BY_STATUS).flatMap(([status, messages]) =>
    Object.entries(messages).map(([name, message]): [string, ErrorSpec] => [name, { status: Number(status), message }]),
  ),
);
export const UNKNOWN_ERROR_STATUS = 400;

/** Thrown while reading or answering a request: answered as a JSON error. */
export class StandInError extends Error {
  constructor(
    readonly errorType: string,
    readonly status: number,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** 400 ValidationException: what Bedrock answers a request it will not take. */
export function validation(message: string): StandInError {
  return new StandInError('ValidationException', 400, message);
}

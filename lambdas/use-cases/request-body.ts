/**
 * Request bodies checked by hand: zod costs a function ~50 ms of cold start, so only the create
 * function loads it (with the job type schemas), and only for the job's input.
 */
import { ValidationError, type FieldError } from '../domain/errors.ts';

export interface RequestBody<Field extends string> {
  readonly fields: Readonly<Partial<Record<Field, unknown>>>;
  /** Field errors found so far (unknown fields); add yours, then call `check`. */
  readonly errors: FieldError[];
  /** Throws the ValidationError of `errors`, if any. */
  check(): void;
}

/**
 * A JSON object with only the `allowed` fields: a ValidationError titled for `what` at `(body)`
 * saying `shape` for anything but an object, and one per unknown field once `check` is called.
 */
export function requestBody<Field extends string>(
  request: unknown,
  allowed: readonly Field[],
  what: string,
  shape: string,
): RequestBody<Field> {
  const title = `The request body is not a valid ${what}`;
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new ValidationError(title, [{ path: '(body)', message: shape }]);
  }
  const fields = request as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(fields)
    .filter((key) => !(allowed as readonly string[]).includes(key))
    .map((key) => ({ path: key, message: `unknown field; the fields are ${allowed.join(', ')}` }));
  return {
    fields: fields as Partial<Record<Field, unknown>>,
    errors,
    check() {
      if (errors.length > 0) throw new ValidationError(title, errors);
    },
  };
}

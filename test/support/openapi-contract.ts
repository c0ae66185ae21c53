/**
 * The contract test's checker: an answer of the API (status, headers, body) against the committed
 * openapi.json. The e2e suites' HTTP helper (dev-server.ts `call`) runs every answer it receives
 * through `assertConforms`, so the test that got a non-conforming answer fails, naming what differs.
 * Schemas are compiled once per process (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it).
 *
 * What is outside the document: CORS preflights (OPTIONS, answered by the gateway itself) and the
 * documents the local gateway serves beside the API (`/openapi.json`, paths outside `/api/`). The
 * local gateway's own refusals of a path or method it has no route for (ROUTE_NOT_FOUND,
 * METHOD_NOT_ALLOWED), and of requests Node's HTTP parser refuses before any routing (400
 * MALFORMED_REQUEST, 414 URI_TOO_LONG, 431 HEADERS_TOO_LARGE, on any path), are checked as problems.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** An answer as the e2e helper holds it. */
export interface ContractAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

type Json = Record<string, any>;

/** The local gateway's refusals of requests Node's HTTP parser refuses: before any routing, on any path. */
const PARSER_CODES = ['URI_TOO_LONG', 'HEADERS_TOO_LARGE', 'MALFORMED_REQUEST'];
const GATEWAY_ONLY_CODES = ['ROUTE_NOT_FOUND', 'METHOD_NOT_ALLOWED', ...PARSER_CODES];
const DOCUMENT_ID = 'openapi.json';

interface Contract {
  readonly document: Json;
  readonly ajv: Ajv2020;
  readonly routes: readonly { readonly template: string; readonly pattern: RegExp }[];
  readonly validators: Map<string, ValidateFunction>;
}

let contract: Contract | undefined;

function load(): Contract {
  if (contract) return contract;
  const document = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: its function is the default export's default under ESM.
  const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  const routes = Object.keys(document.paths as Json).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  contract = { document, ajv, routes, validators: new Map() };
  return contract;
}

/** A JSON pointer into the document, for `$ref`s. */
function pointer(...segments: string[]): string {
  return segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

function resolve(document: Json, node: Json): Json {
  let current = node;
  for (let depth = 0; typeof current?.$ref === 'string' && depth < 10; depth++) {
    const segments = (current.$ref as string).replace(/^#\//, '').split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    current = segments.reduce<Json>((at, segment) => at?.[segment], document);
  }
  return current;
}

/** Validates `value` against the schema at `location` (a JSON pointer into the document); compiled once. */
function validate(location: string, value: unknown): string[] {
  const { ajv, validators } = load();
  let check = validators.get(location);
  if (!check) {
    check = ajv.compile({ $ref: `${DOCUMENT_ID}#/${location}` });
    validators.set(location, check);
  }
  if (check(value)) return [];
  return (check.errors ?? []).slice(0, 8).map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}

function checkProblem(answer: ContractAnswer, codes: readonly string[]): string[] {
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return ['the body is not JSON'];
  }
  const errors = validate(pointer('components', 'schemas', 'Problem'), body);
  const code = (body as Json | null)?.code;
  if (!codes.includes(code)) errors.push(`code ${JSON.stringify(code)} is none of ${codes.join(', ')}`);
  return errors;
}

/** `operationId` → the statuses and problem codes it answered, in this process (see answeredOperations). */
const answered = new Map<string, { statuses: Set<number>; codes: Set<string> }>();

function record(operationId: string, answer: ContractAnswer): void {
  const entry = answered.get(operationId) ?? { statuses: new Set<number>(), codes: new Set<string>() };
  answered.set(operationId, entry);
  entry.statuses.add(answer.status);
  const code = /"code":"([A-Z_]+)"/.exec(answer.text)?.[1];
  if (answer.status >= 400 && code) entry.codes.add(code);
}

/** What each operation answered in this test process: to check a suite drove every one. */
export function answeredOperations(): ReadonlyMap<string, { readonly statuses: ReadonlySet<number>; readonly codes: ReadonlySet<string> }> {
  return answered;
}

/** Every operationId of the document. */
export function documentedOperations(): string[] {
  const { document } = load();
  return Object.values(document.paths as Json).flatMap((methods) => Object.values(methods as Json).map((operation) => (operation as Json).operationId as string));
}

/**
 * Why the answer does not conform to the document; [] when it does (or is outside it). With the
 * request's JSON body: a body the API accepted (2xx) must also be one the document allows.
 */
export function contractViolations(method: string, pathAndQuery: string, answer: ContractAnswer, requestBody?: string): string[] {
  const { document, routes } = load();
  const requestPath = new URL(pathAndQuery, 'http://localhost').pathname;
  const verb = method.toLowerCase();
  if (verb === 'options' || !requestPath.startsWith('/api/')) return [];
  if (PARSER_CODES.includes(/"code":"([A-Z_]+)"/.exec(answer.text)?.[1] ?? '')) return checkProblem(answer, PARSER_CODES);
  const route = routes.find((candidate) => candidate.pattern.test(requestPath));
  const operation = route ? (document.paths[route.template][verb] as Json | undefined) : undefined;
  if (!route || !operation) return checkProblem(answer, GATEWAY_ONLY_CODES);

  record(operation.operationId as string, answer);
  const documented = operation.responses[String(answer.status)] as Json | undefined;
  if (!documented) return [`status ${answer.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
  const accepted = answer.status < 300 ? acceptedBodyViolations(route.template, verb, operation, requestBody) : [];
  const response = resolve(document, documented);
  const location = typeof documented.$ref === 'string' ? documented.$ref.replace(/^#\//, '') : pointer('paths', route.template, verb, 'responses', String(answer.status));
  const errors: string[] = [...accepted];

  for (const [name, declared] of Object.entries((response.headers ?? {}) as Json)) {
    const header = resolve(document, declared as Json);
    const value = answer.headers.get(name);
    if (value === null) {
      if (header.required) errors.push(`header ${name} is missing`);
      continue;
    }
    const ref = (declared as Json).$ref as string | undefined;
    const headerLocation = ref ? `${ref.replace(/^#\//, '')}/schema` : `${location}/${pointer('headers', name, 'schema')}`;
    errors.push(...validate(headerLocation, value).map((error) => `header ${name}: ${error}`));
  }

  const content = response.content as Json | undefined;
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!content) {
    if (answer.text !== '') errors.push(`a body where none is documented: ${answer.text.slice(0, 200)}`);
    return errors;
  }
  if (!(mediaType in content)) return [...errors, `content type "${mediaType}" is not documented (${Object.keys(content).join(', ')})`];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [...errors, `the body is not JSON: ${answer.text.slice(0, 200)}`];
  }
  return [...errors, ...validate(`${location}/${pointer('content', mediaType, 'schema')}`, body)];
}

/** A JSON request body the API accepted, against the operation's request body schema. */
function acceptedBodyViolations(template: string, verb: string, operation: Json, requestBody: string | undefined): string[] {
  if (requestBody === undefined || !operation.requestBody?.content?.['application/json']) return [];
  let body: unknown;
  try {
    body = JSON.parse(requestBody);
  } catch {
    return [];
  }
  const location = pointer('paths', template, verb, 'requestBody', 'content', 'application/json', 'schema');
  return validate(location, body).map((error) => `the API accepted a request body the document refuses: ${error}`);
}

/** Throws, naming the request and what differs, unless the answer conforms to openapi.json. */
export function assertConforms(method: string, pathAndQuery: string, answer: ContractAnswer, requestBody?: string): void {
  const violations = contractViolations(method, pathAndQuery, answer, requestBody);
  if (violations.length === 0) return;
  throw new Error(
    `The answer to ${method.toUpperCase()} ${pathAndQuery.slice(0, 200)} (${answer.status}) does not conform to openapi.json ` +
      `(fix the code or the document: lib/openapi, then \`npm run openapi\`):\n- ${violations.join('\n- ')}\n` +
      `body: ${answer.text.slice(0, 600)}`,
  );
}

/**
 * The local API gateway: an HTTP server on loopback that plays API Gateway (REST API, Lambda proxy
 * integrations, Cognito user-pool authorizer, CORS) in front of the route handlers, routing with
 * the same route table the CDK stack builds the API from.
 *
 * What it does as API Gateway does:
 * - OPTIONS on a route's path is the CORS preflight of `defaultCorsPreflightOptions` in
 *   lib/constructs/jobs-api.ts: 204, no authorizer.
 * - Every other method needs `Authorization: <ID token>` (with or without `Bearer `), verified as
 *   the Cognito authorizer does; otherwise 401 with the problem+json body of the stack's
 *   UNAUTHORIZED gateway response (detail `Unauthorized`, as API Gateway's message), CORS headers,
 *   and the handler is never called.
 * - The handler gets an APIGatewayProxyEvent like a REST proxy integration's (built by
 *   api-gateway-events.ts, as the tests build theirs): `resource` is the template, claims are
 *   strings (see `claimsAsStrings`), single-value headers and query keep the last value, `path` is
 *   the path as sent (still percent-encoded), path parameters are decoded.
 * - Bodies over 10 MB get 413; a handler that throws or answers a malformed proxy result gets 502;
 *   one that takes longer than the 29 s integration timeout gets 504.
 * - Every answer carries `x-amzn-RequestId` = `requestContext.requestId`.
 *
 * Where it differs, on purpose:
 * - There is no stage in the URL (the base URL is `http://127.0.0.1:<port>`), so
 *   `requestContext.path` equals `path` and Location headers are `/api/jobs/<id>`, as behind a
 *   custom domain. `requestContext.stage` is `local`.
 * - An unknown path answers 404 `ROUTE_NOT_FOUND`, and a known path with another method 405
 *   `METHOD_NOT_ALLOWED` with `Allow`: API Gateway answers both with 403 "Missing Authentication
 *   Token", which misleads more than it helps. Both are problem+json with CORS headers.
 * - Its own errors (401, 404, 405, 413, 502, 504, and 414, 431 or 400 for a URL or headers too
 *   large for Node's parser or malformed HTTP) are problem+json; API Gateway's 5xx bodies are
 *   `{"message": …}`. CORS headers on them come from `corsHeaders` (the handlers' rule), which
 *   allows the same origins as the stack's gateway responses.
 * - The body is base64 (`isBase64Encoded`) only when it is not text: a binary content type or
 *   bytes that are not UTF-8. The stack declares no binary media types, so API Gateway would pass
 *   such bytes through as (mangled) text.
 *
 * The pieces, one job each, under gateway/: router.ts (the route table as API Gateway resources),
 * auth.ts (the Cognito authorizer's checks), cors.ts (preflights), invoke.ts (the Lambda proxy
 * integration), reply.ts (proxy results and problem+json answers), refusals.ts (requests Node's
 * parser refuses: 414, 431, 400) and server.ts (the HTTP server and each request's way through).
 */
export { claimsAsStrings } from './api-gateway-events.ts';
export type { TokenVerifier } from './gateway/auth.ts';
export { PREFLIGHT } from './gateway/cors.ts';
export { INTEGRATION_TIMEOUT_MS, type Handler } from './gateway/invoke.ts';
export { MAX_PAYLOAD_BYTES, startGateway, type Gateway, type GatewayOptions } from './gateway/server.ts';

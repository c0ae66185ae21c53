/**
 * CORS at the gateway: the preflight answer of the stack's `defaultCorsPreflightOptions`, and CORS
 * headers for answers to requests whose headers Node could not parse. Other answers carry
 * `corsHeaders` (lambdas/http/responses.ts), the handlers' rule.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { CORS_ALLOW_METHODS, CORS_EXTRA_REQUEST_HEADERS } from '../../../lambdas/http/responses.ts';
import { headerValue } from '../api-gateway-events.ts';
import { REQUEST_ID_HEADER, type Reply } from './reply.ts';

/**
 * The preflight answer of `defaultCorsPreflightOptions` in lib/constructs/jobs-api.ts:
 * methods CORS_ALLOW_METHODS; aws-cdk-lib's `Cors.DEFAULT_HEADERS`, Idempotency-Key and If-None-Match; max age one hour; 204.
 */
export const PREFLIGHT = {
  allowMethods: CORS_ALLOW_METHODS,
  allowHeaders: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent', ...CORS_EXTRA_REQUEST_HEADERS],
  maxAgeSeconds: 3600,
  status: 204,
} as const;

export function preflight(headers: Readonly<Record<string, string>>, allowedOrigins: readonly string[]): Reply {
  const out: OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Access-Control-Allow-Headers': PREFLIGHT.allowHeaders.join(','),
    'Access-Control-Allow-Methods': PREFLIGHT.allowMethods.join(','),
    'Access-Control-Max-Age': String(PREFLIGHT.maxAgeSeconds),
  };
  if (allowedOrigins.includes('*')) {
    out['Access-Control-Allow-Origin'] = '*';
  } else {
    // As the stack's mock integration: the first origin, or the request's Origin when it is one
    // of the others.
    const origin = headerValue(headers, 'origin');
    out['Access-Control-Allow-Origin'] = origin && allowedOrigins.includes(origin) ? origin : allowedOrigins[0];
    out.Vary = 'Origin';
  }
  return { status: PREFLIGHT.status, headers: out, body: Buffer.alloc(0) };
}

/** CORS headers for an answer to a request whose headers were not parsed. */
export function unparsedRequestCors(raw: Buffer | undefined, allowedOrigins: readonly string[]): OutgoingHttpHeaders {
  const exposed = { 'Access-Control-Expose-Headers': REQUEST_ID_HEADER };
  if (allowedOrigins.includes('*')) return { 'Access-Control-Allow-Origin': '*', ...exposed };
  const origin = /\r\norigin:[ \t]*([^\r\n]*?)[ \t]*\r\n/i.exec(raw?.toString('latin1') ?? '')?.[1];
  if (origin && allowedOrigins.includes(origin)) return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...exposed };
  return { Vary: 'Origin' };
}

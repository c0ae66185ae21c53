import { describe, expect, it } from 'vitest';
import { collectHeaders, proxyEvent, type ProxyRequest } from '../../../lib/local/api-gateway-events.ts';

const request = (overrides: Partial<ProxyRequest> = {}): ProxyRequest => ({
  method: 'GET',
  path: '/api/jobs/a%20b',
  resource: '/api/jobs/{id}',
  pathParameters: { id: 'a b' },
  headers: collectHeaders(['Host', 'api.example.com', 'User-Agent', 'curl/8']),
  query: new URLSearchParams(),
  body: Buffer.alloc(0),
  claims: { sub: 'user-a' },
  requestId: 'request-1',
  requestTimeEpoch: Date.UTC(2026, 10, 22, 9, 53, 28),
  stage: 'prod',
  basePath: '/prod',
  sourceIp: '203.0.113.7',
  port: 443,
  httpVersion: '1.1',
  ...overrides,
});

describe('API Gateway proxy events', () => {
  it('puts the base path before the path in requestContext.path, and the stage, time and caller in the context', () => {
    const event = proxyEvent(request());
    expect(event).toMatchObject({ path: '/api/jobs/a%20b', resource: '/api/jobs/{id}', pathParameters: { id: 'a b' }, body: null });
    expect(event.requestContext).toMatchObject({
      path: '/prod/api/jobs/a%20b',
      resourcePath: '/api/jobs/{id}',
      stage: 'prod',
      requestId: 'request-1',
      requestTime: '22/Nov/2026:09:53:28 +0000',
      domainName: 'api.example.com',
      protocol: 'HTTP/1.1',
      authorizer: { claims: { sub: 'user-a' } },
      identity: { sourceIp: '203.0.113.7', userAgent: 'curl/8' },
    });
  });

  it('has no authorizer context without claims', () => {
    expect(proxyEvent(request({ claims: null })).requestContext.authorizer).toBeNull();
  });

  it('appends the caller to X-Forwarded-For and sets the port and protocol, whatever the client sent', () => {
    const headers = collectHeaders(['x-forwarded-for', '198.51.100.1', 'X-Forwarded-Port', '1', 'x-forwarded-proto', 'gopher']);
    const event = proxyEvent(request({ headers }));
    expect(event.headers).toEqual({ 'X-Forwarded-For': '198.51.100.1, 203.0.113.7', 'X-Forwarded-Port': '443', 'X-Forwarded-Proto': 'http' });
    expect(event.multiValueHeaders['X-Forwarded-For']).toEqual(['198.51.100.1, 203.0.113.7']);
  });

  it('keeps names like __proto__ as own properties, and the last value as the single value', () => {
    const headers = collectHeaders(['__proto__', 'a', '__PROTO__', 'b']);
    const event = proxyEvent(request({ headers, query: new URLSearchParams('constructor=1&constructor=2') }));
    expect(Object.hasOwn(event.headers, '__proto__')).toBe(true);
    expect(event.headers['__proto__']).toBe('b');
    expect(event.multiValueHeaders['__proto__']).toEqual(['a', 'b']);
    expect(Object.hasOwn(event.queryStringParameters!, 'constructor')).toBe(true);
    expect(event.queryStringParameters!['constructor']).toBe('2');
    expect(event.multiValueQueryStringParameters!['constructor']).toEqual(['1', '2']);
  });

  it('passes text bodies as text and other bytes as base64', () => {
    const text = proxyEvent(request({ body: Buffer.from('{"a":"é"}'), headers: collectHeaders(['Content-Type', 'application/json']) }));
    expect(text).toMatchObject({ body: '{"a":"é"}', isBase64Encoded: false });
    const png = proxyEvent(request({ body: Buffer.from([0x89, 0x50]), headers: collectHeaders(['Content-Type', 'image/png']) }));
    expect(png).toMatchObject({ body: Buffer.from([0x89, 0x50]).toString('base64'), isBase64Encoded: true });
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PREFLIGHT } from '../../lib/local/gateway/cors.ts';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { logicalId, synthDefaultStack, synthStack } from './support/synth.ts';

interface MethodProps {
  readonly HttpMethod: string;
  readonly ResourceId: unknown;
  readonly AuthorizationType?: string;
  readonly AuthorizerId?: unknown;
  readonly RequestValidatorId?: unknown;
}

/** Every API method with the full path of its resource, e.g. `POST /api/jobs/{id}/cancel`. */
/** The OPTIONS methods' mock integration answers with these response parameters (among others). */
function preflightAnswers(template: ReturnType<typeof synthDefaultStack>['template'], parameters: Record<string, string>): void {
  template.hasResourceProperties('AWS::ApiGateway::Method', {
    HttpMethod: 'OPTIONS',
    Integration: Match.objectLike({ IntegrationResponses: [Match.objectLike({ ResponseParameters: Match.objectLike(parameters) })] }),
  });
}

function methods(template: ReturnType<typeof synthDefaultStack>['template']) {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const resource = id ? resources[id] : undefined;
    if (!resource) return ''; // the API root
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart as string}`;
  };
  return Object.values(template.findResources('AWS::ApiGateway::Method')).map(({ Properties }) => {
    const props = Properties as MethodProps;
    return { ...props, path: pathOf(props.ResourceId) || '/' };
  });
}

describe('jobs API', () => {
  const { stack, template } = synthDefaultStack();
  const all = methods(template);
  const secured = all.filter((method) => method.HttpMethod !== 'OPTIONS');

  it('has exactly one method per route in the route table, at its path', () => {
    const actual = secured.map((method) => `${method.HttpMethod} ${method.path}`).sort();
    expect(actual).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it("requires a token of the pool (the pool's token authorizer) on every non-OPTIONS method", () => {
    const authorizerRef = { Ref: logicalId(stack.api.authorizer) };
    expect(secured.length).toBeGreaterThan(0);
    for (const method of secured) {
      expect(method, `${method.HttpMethod} ${method.path}`).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: authorizerRef,
      });
    }
  });

  it('leaves the CORS preflight OPTIONS methods unauthenticated', () => {
    const preflights = all.filter((method) => method.HttpMethod === 'OPTIONS');
    expect(preflights.map((method) => method.path).sort()).toContain('/api/jobs/{id}/cancel');
    for (const method of preflights) {
      expect(method.AuthorizationType ?? 'NONE', method.path).toBe('NONE');
      expect(method.AuthorizerId, method.path).toBeUndefined();
    }
  });

  it('lets browsers send the Idempotency-Key header (preflight), as the local gateway does', () => {
    preflightAnswers(template, { 'method.response.header.Access-Control-Allow-Headers': `'${PREFLIGHT.allowHeaders.join(',')}'` });
    expect(PREFLIGHT.allowHeaders).toContain('Idempotency-Key');
  });

  it("authorizes with the stack user pool and its people's client (the token authorizer's environment)", () => {
    const auth = stack.auth;
    if (!auth) throw new Error('the default stack has a user pool');
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'TOKEN', IdentitySource: 'method.request.header.Authorization' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ USER_POOL_ID: { Ref: logicalId(auth.userPool) }, USER_POOL_CLIENT_ID: { Ref: logicalId(auth.userPoolClient) } }),
      },
    });
  });

  it('sends every route to a Lambda proxy integration', () => {
    const integrations = Object.values(template.findResources('AWS::ApiGateway::Method'))
      .map(({ Properties }) => Properties)
      .filter((props) => props.HttpMethod !== 'OPTIONS')
      .map((props) => props.Integration);
    expect(integrations).toHaveLength(ROUTES.length);
    for (const integration of integrations) expect(integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
  });

  it('validates request parameters on every route, requiring declared path parameters', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestParameters: true,
      ValidateRequestBody: true,
    });
    for (const method of secured) expect(method.RequestValidatorId, method.path).toBeDefined();
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: { 'method.request.path.id': true },
    });
  });

  it.each(['DEFAULT_4XX', 'DEFAULT_5XX', 'UNAUTHORIZED', 'ACCESS_DENIED'])(
    'adds Access-Control-Allow-Origin to API Gateway %s responses',
    (type) => {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" }),
      });
    },
  );

  it.each([
    ['UNAUTHORIZED', '401', 'UNAUTHENTICATED'],
  ])('answers %s with a problem+json body, status %s and code %s', (type, status, code) => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: status,
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" }),
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp(
          `"status":${status},"detail":\\$context.error.messageString,"code":"${code}","requestId":"\\$context.requestId"`,
        ),
      },
    });
  });

  it('deploys stage prod with JSON access logs, X-Ray tracing, metrics, error logging and throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ],
    });
  });
});

describe('jobs API with allowed origins from context', () => {
  it('answers preflights and gateway errors for a single origin with that origin', () => {
    const { template } = synthStack({ allowedOrigins: 'https://app.example.com' });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_4XX',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'",
      }),
    });
    preflightAnswers(template, { 'method.response.header.Access-Control-Allow-Origin': "'https://app.example.com'" });
  });

  it('echoes the request Origin with Vary: Origin on gateway errors when several origins are allowed', () => {
    const { template } = synthStack({ allowedOrigins: 'https://a.example.com,https://b.example.com' });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'DEFAULT_5XX',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
        'gatewayresponse.header.Vary': "'Origin'",
      }),
    });
  });
});

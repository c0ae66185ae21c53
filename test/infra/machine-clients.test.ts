/**
 * Machine clients in the stack: the resource server `jobs` and its scopes, app clients from context
 * `machineClients` with the client-credentials grant, the token endpoint's domain, and the one
 * token authorizer (people's ID tokens and services' access tokens) on every method; cdk-nag clean.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { AUTHORIZER_ENTRY } from '../../lambdas/shared/resources.ts';
import { ConfigError, readConfig } from '../../lib/config.ts';
import { INSUFFICIENT_SCOPE_DETAIL } from '../../lib/constructs/jobs-api.ts';
import { bundleEntry } from '../support/bundle.ts';
import { logicalId, synthDefaultStack, synthStack } from './support/synth.ts';

const CLIENTS = { billing: ['jobs/read', 'jobs/write'], reports: ['jobs/read'] };
const fromContext = (context: Record<string, unknown>) => readConfig((key) => context[key]);

describe('the resource server and its scopes', () => {
  const { template } = synthDefaultStack();

  it('is `jobs` on the stack pool with the scopes read and write, even with no machine client', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'jobs',
      Scopes: Match.arrayEquals([
        { ScopeName: 'read', ScopeDescription: Match.anyValue() },
        { ScopeName: 'write', ScopeDescription: Match.anyValue() },
      ]),
    });
    // Only the people's client: machine clients come from context.
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
  });

  it("leaves the people's client as it was: no OAuth, sign-in with SRP or a password, ID tokens", () => {
    const [people] = Object.values(template.findResources('AWS::Cognito::UserPoolClient')).map(({ Properties }) => Properties);
    expect(people).toMatchObject({ GenerateSecret: false, AllowedOAuthFlowsUserPoolClient: false });
    expect(people.ExplicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH']));
  });

  it('has a domain for the token endpoint, by default jobs-<account>-<region>, published as TokenEndpoint', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['-', ['jobs', { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }]] },
    });
    expect(JSON.stringify(template.findOutputs('TokenEndpoint'))).toContain('/oauth2/token');
  });
});

describe('machine clients from context', () => {
  const { stack, template } = synthStack({ machineClients: JSON.stringify(CLIENTS), authDomainPrefix: 'acme-jobs' });

  it.each(Object.entries(CLIENTS))('creates %s with a secret, the client-credentials grant only, and its scopes %j', (name, scopes) => {
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient')).find(({ Properties }) => Properties.ClientName === name);
    expect(client?.Properties).toMatchObject({
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      EnableTokenRevocation: true,
    });
    // Each scope is `<resource server identifier>/<name>`, the identifier a reference to the server.
    const server = { Ref: logicalId(stack.auth!.resourceServer) };
    expect(client?.Properties.AllowedOAuthScopes).toEqual(scopes.map((scope) => ({ 'Fn::Join': ['', [server, `/${scope.split('/')[1]}`]] })));
  });

  it('publishes each client id and uses the given domain prefix', () => {
    const outputs = template.findOutputs('*');
    for (const name of Object.keys(CLIENTS)) {
      const client = stack.auth?.machineClients.get(name);
      if (!client) throw new Error(`no client ${name}`);
      expect(Object.values(outputs).map((output) => output.Value)).toContainEqual({ Ref: logicalId(client) });
    }
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-jobs' });
  });

  it('reports no unacknowledged cdk-nag errors or warnings', () => {
    const findings = new AwsSolutionsChecks().validateScope(stack).violations.map((violation) => `${violation.severity} ${violation.ruleName}`);
    expect(findings).toEqual([]);
  });
});

describe('the token authorizer on every method', () => {
  const { stack, template } = synthDefaultStack();
  const authorizerFn = stack.api.poolAuthorizer?.function;

  it('is a TOKEN authorizer on the Authorization header, its results cached 5 minutes', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    expect(authorizerFn).toBeDefined();
  });

  it('bundles aws-jwt-verify and no AWS SDK client: a small cold start', async () => {
    const { metafile, code } = await bundleEntry(AUTHORIZER_ENTRY);
    const packages = new Set(Object.keys(metafile.inputs).flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []));
    expect(packages.has('aws-jwt-verify')).toBe(true);
    expect([...packages].filter((name) => name.startsWith('@aws-sdk/') || name === 'zod')).toEqual([]);
    expect(code).not.toContain('signing-key.json');
  });

  it('guards every route method of the table (CUSTOM with that authorizer), never OPTIONS', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(({ Properties }) => Properties);
    const guarded = methods.filter((props) => props.AuthorizationType === 'CUSTOM');
    expect(guarded).toHaveLength(ROUTES.length);
    for (const props of guarded) expect(props.AuthorizerId).toEqual({ Ref: logicalId(stack.api.authorizer) });
    expect(methods.filter((props) => props.HttpMethod === 'OPTIONS').every((props) => (props.AuthorizationType ?? 'NONE') === 'NONE')).toBe(true);
  });

  it('gives the authorizer function no permission beyond its logs and traces', () => {
    const role = authorizerFn?.function.role;
    if (!role) throw new Error('no authorizer role');
    const roleRef = { Ref: logicalId(role) };
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(JSON.stringify(roleRef)),
    );
    const actions = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) => [statement.Action].flat()));
    expect(actions.filter((action) => !/^(xray|logs):/.test(action))).toEqual([]);
  });

  it('answers a denied method (a scope the token lacks) 403 INSUFFICIENT_SCOPE as problem+json', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" }),
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp(`"status":403,"detail":"${INSUFFICIENT_SCOPE_DETAIL}","code":"INSUFFICIENT_SCOPE"`),
      },
    });
  });
});

describe('context machineClients and authDomainPrefix', () => {
  it('reads an object or its JSON text, defaulting to none', () => {
    expect(fromContext({}).machineClients).toEqual({});
    expect(fromContext({ machineClients: CLIENTS }).machineClients).toEqual(CLIENTS);
    expect(fromContext({ machineClients: JSON.stringify(CLIENTS) }).machineClients).toEqual(CLIENTS);
  });

  it.each([
    ['an unknown scope', { machineClients: { billing: ['jobs/admin'] } }, /machineClients\.billing/],
    ['no scope', { machineClients: { billing: [] } }, /machineClients\.billing/],
    ['a bad name', { machineClients: { 'bad name': ['jobs/read'] } }, /machineClients\.bad name/],
    ['not JSON', { machineClients: '{billing' }, /machineClients/],
    ['clients on LocalStack', { machineClients: CLIENTS, localstack: 'true' }, /npm run token -- --client/],
    ['a domain prefix with capitals', { authDomainPrefix: 'Jobs' }, /authDomainPrefix/],
    ['a domain prefix Cognito refuses', { authDomainPrefix: 'my-cognito-jobs' }, /authDomainPrefix/],
  ])('refuses %s at synth, naming the key', (_name, context, message) => {
    expect(() => fromContext(context)).toThrow(ConfigError);
    expect(() => fromContext(context)).toThrow(message);
  });
});

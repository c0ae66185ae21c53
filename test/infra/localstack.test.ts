/**
 * The LocalStack variant (`-c localstack=true`, `npm run deploy:local`): no Cognito, a TOKEN Lambda
 * authorizer trusting the local dev tokens, the public JWKS only, and the outputs a LocalStack user
 * needs. LocalStack itself cannot run here: these tests check the synthesized template only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { bundleEntry } from '../support/bundle.ts';
import { describe, expect, it } from 'vitest';
import { ROUTES, routeScope } from '../../lambdas/api/routes.ts';
import { ENV, LOCAL_AUTHORIZER_ENTRY, LOCAL_TOKENS_DEFINE, ROUTE_SCOPE_DEFINE } from '../../lambdas/shared/resources.ts';
import { LOCAL_CLIENT_ID } from '../../lib/local/tokens.ts';
import { buildStack, logicalId, render, roleActions, synthDefaultStack, synthStack, testSigningKey } from './support/synth.ts';
import { POWERTOOLS_SERVICE_NAME } from '../../lib/constructs/job-function.ts';

/** What every function's role holds without any grant: its own logs and X-Ray (Tracing.ACTIVE). */
const BASELINE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

describe('LocalStack variant', () => {
  const { stack, template } = synthStack({ localstack: 'true' });
  const key = testSigningKey();
  const local = stack.api.localAuthorizer;
  if (!local) throw new Error('the LocalStack variant has a local authorizer');
  const authorizerFunction = () => template.findResources('AWS::Lambda::Function')[logicalId(local.function.function)];
  const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(({ Properties }) => Properties);

  it('creates no Cognito resources at all', () => {
    const types = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.length).toBeGreaterThan(0);
    expect(types.filter((type) => type.startsWith('AWS::Cognito::'))).toEqual([]);
    expect(stack.auth).toBeUndefined();
  });

  it('has one TOKEN authorizer on the Authorization header, backed by the local authorizer function, uncached', () => {
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    const [authorizer] = Object.values(template.findResources('AWS::ApiGateway::Authorizer'));
    expect(authorizer?.Properties).toMatchObject({
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(authorizer?.Properties.ProviderARNs).toBeUndefined();
    expect(render(authorizer?.Properties.AuthorizerUri)).toContain(`\${${logicalId(local.function.function)}.Arn}/invocations`);
  });

  it('puts every non-OPTIONS method behind the token authorizer (CUSTOM) and leaves preflights open', () => {
    const secured = methods.filter((method) => method.HttpMethod !== 'OPTIONS');
    expect(secured).toHaveLength(ROUTES.length);
    for (const method of secured) {
      expect(method, method.OperationName).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: logicalId(local.authorizer) },
      });
    }
    const preflights = methods.filter((method) => method.HttpMethod === 'OPTIONS');
    expect(preflights.length).toBeGreaterThan(0);
    for (const method of preflights) expect(method.AuthorizationType ?? 'NONE').toBe('NONE');
  });

  it('lets API Gateway invoke the authorizer function', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(local.function.function), 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
    });
  });

  it('gives the authorizer function the public JWKS of the local key and nothing else', () => {
    const variables = authorizerFunction()?.Properties.Environment.Variables as Record<string, string>;
    expect(Object.keys(variables).sort()).toEqual([ENV.localJwks, 'NODE_OPTIONS', POWERTOOLS_SERVICE_NAME].sort());
    const jwks = JSON.parse(variables[ENV.localJwks]!) as { keys: Record<string, unknown>[] };
    expect(jwks).toEqual({ keys: [key.publicJwk] });
    for (const jwk of jwks.keys) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(secret);
    }
    expect(variables[ENV.localJwks]).not.toMatch(/PRIVATE KEY|"d"\s*:/);
  });

  it('puts no private key material anywhere in the template', () => {
    const text = JSON.stringify(template.toJSON());
    const privateJwk = key.privateKey.export({ format: 'jwk' });
    for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      const value = privateJwk[part];
      expect(typeof value).toBe('string');
      expect(text).not.toContain(value);
    }
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('keeps only the public members of the keys it is given', () => {
    const privateJwk = key.privateKey.export({ format: 'jwk' });
    const withPrivate = { keys: [{ ...key.publicJwk, ...privateJwk }] } as unknown as typeof key.jwks;
    const json = JSON.stringify(synthStackJson(buildStack({ localstack: true }, { localKey: { ...key, jwks: withPrivate } })));
    expect(json).toContain(key.publicJwk.n);
    expect(json).not.toContain(String(privateJwk.d));
  });

  it('grants the authorizer function nothing beyond its logs (and X-Ray, as every function)', () => {
    expect(roleActions(template, logicalId(local.function.role))).toEqual(BASELINE_ACTIONS);
  });

  it('gives every route function the public JWKS too, to verify tokens where LocalStack runs no authorizer', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const expected = JSON.stringify({ keys: [key.publicJwk] });
    for (const [name, fn] of stack.api.routeFunctions) {
      expect(functions[logicalId(fn.function)]?.Properties.Environment.Variables[ENV.localJwks], name).toBe(expected);
    }
  });

  it('addresses the payload bucket path-style from every function that uses it, as LocalStack serves it', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const users = [...stack.api.routeFunctions.values(), stack.background.worker].filter(
      (fn) => functions[logicalId(fn.function)]?.Properties.Environment.Variables[ENV.payloadBucket] !== undefined,
    );
    expect(users.length).toBeGreaterThanOrEqual(5);
    for (const fn of users) expect(functions[logicalId(fn.function)]?.Properties.Environment.Variables[ENV.s3ForcePathStyle]).toBe('true');
  });

  it('outputs the LocalStack API URL, the table, the queue and how to get a token, and no pool ids', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'JobsTableName', 'JobsQueueUrl', 'TokenCommand']));
    expect(outputs).not.toHaveProperty('UserPoolId');
    expect(outputs).not.toHaveProperty('UserPoolClientId');
    // RestApi's own output holds the AWS URL, which does not reach LocalStack.
    expect(Object.values(outputs).map((output) => render(output.Value)).filter((value) => value.includes('URLSuffix'))).toEqual([]);
    expect(render(outputs['ApiUrl']?.Value)).toBe(
      `http://\${${logicalId(stack.api.restApi)}}.execute-api.localhost.localstack.cloud:4566/prod/`,
    );
    expect(outputs['TokenCommand']?.Value).toBe('npm run --silent token -- <username>   (a service: npm run --silent token -- --client <name> --scope "jobs/read jobs/write")');
    expect(outputs['TokenCommand']?.Description).toContain(key.kid);
  });

  it('keeps no data when the stack is deleted, unless retainData says so', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    synthStack({ localstack: 'true', retainData: 'true' }).template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('fails without the local key JWKS', async () => {
    const { readConfig } = await import('../../lib/config.ts');
    const { JobsStack } = await import('../../lib/jobs-stack.ts');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new JobsStack(app, 'NoKey', { config: readConfig((k) => (k === 'localstack' ? 'true' : undefined)) })).toThrow(/JWKS/);
  });

  it('reports no unacknowledged cdk-nag findings, acknowledging COG4 with the reason', () => {
    const findings = new AwsSolutionsChecks().validateScope(stack).violations.map(
      (violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    const acknowledged = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledged).toContainEqual([expect.stringMatching(/AwsSolutions-COG4$/), expect.stringContaining("LocalStack's free edition has no Cognito")]);
  });

  it('passes CloudFormation validation and cdk-nag as registered by bin/app.ts, with no findings', () => {
    const cfnStack = buildStack({ localstack: 'true' }, { cfnValidation: true });
    const app = cfnStack.node.root as App;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  });
});

describe('LocalStack authorizer bundle', () => {
  it('bundles createLocalVerifier without the key-file code or any non-built-in module left external', async () => {
    const { code, metafile } = await bundleEntry(LOCAL_AUTHORIZER_ENTRY);
    expect(code.length).toBeLessThan(64 * 1024);
    expect(code).not.toMatch(/generateKeyPairSync|writeFileSync|linkSync/);
    const inputs = Object.keys(metafile.inputs);
    // aws-jwt-verify, and the Powertools Logger every function logs with (its commons and invoke store).
    const allowed = /node_modules\/(aws-jwt-verify|@aws-lambda-powertools\/(logger|commons)|@aws\/lambda-invoke-store)\//;
    expect(inputs.filter((input) => input.includes('node_modules/') && !allowed.test(input))).toEqual([]);
    const externals = Object.values(metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
    expect(externals.every((name) => /^(node:)?[a-z_]+$/.test(name))).toBe(true);
  });
});

describe('local token verifier in the route functions', () => {
  it('is compiled into the LocalStack variant only (esbuild define), so AWS bundles stay as they were', () => {
    const local = synthStack({ localstack: 'true' }).stack;
    const aws = synthDefaultStack().stack;
    for (const [name, fn] of local.api.routeFunctions) expect(fn.define).toEqual({ [LOCAL_TOKENS_DEFINE]: 'true', [ROUTE_SCOPE_DEFINE]: JSON.stringify(routeScope(name)) });
    for (const [name, fn] of aws.api.routeFunctions) expect(fn.define).toEqual({ [LOCAL_TOKENS_DEFINE]: 'false', [ROUTE_SCOPE_DEFINE]: JSON.stringify(routeScope(name)) });
    for (const fn of [aws.background.worker, aws.background.dlqConsumer, aws.background.reconciler]) expect(fn.define).toEqual({});
  });

  it.each([
    ['false', false],
    ['true', true],
  ])('with %s, a route bundle carries the verifier: %s', async (value, carried) => {
    const route = ROUTES.find((candidate) => candidate.name === 'get-job')!;
    const { code } = await bundleEntry(route.entry, { [LOCAL_TOKENS_DEFINE]: value });
    expect(code.includes(LOCAL_CLIENT_ID)).toBe(carried);
    // aws-jwt-verify's own messages.
    expect(code.includes('JWK for kid')).toBe(carried);
  });
});

describe('bedrockEndpoint', () => {
  const workerEnv = (context: Record<string, unknown>) => {
    const { stack, template } = synthStack(context);
    return template.findResources('AWS::Lambda::Function')[logicalId(stack.background.worker.function)]?.Properties.Environment
      .Variables as Record<string, string>;
  };

  it('points the worker at the given Bedrock Runtime endpoint with one HTTP attempt per model call', () => {
    const env = workerEnv({ bedrockEndpoint: 'http://host.docker.internal:4567', localstack: 'true' });
    expect(env).toMatchObject({ [ENV.bedrockEndpointUrl]: 'http://host.docker.internal:4567', [ENV.bedrockMaxAttempts]: '1' });
  });

  it('sets neither variable by default, in either variant', () => {
    for (const context of [{}, { localstack: 'true' }]) {
      const env = workerEnv(context);
      expect(env).not.toHaveProperty(ENV.bedrockEndpointUrl);
      expect(env).not.toHaveProperty(ENV.bedrockMaxAttempts);
    }
  });
});

describe('default variant', () => {
  const { stack, template } = synthDefaultStack();

  it('has no local authorizer and no LOCAL_JWKS anywhere', () => {
    expect(stack.api.localAuthorizer).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain(ENV.localJwks);
    // The pool's token authorizer instead (test/infra/machine-clients.test.ts).
    expect(stack.api.poolAuthorizer).toBeDefined();
    template.resourcePropertiesCountIs('AWS::ApiGateway::Authorizer', Match.objectLike({ Type: 'COGNITO_USER_POOLS' }), 0);
  });
});

/** The synthesized template of a built (not yet synthesized) stack, as JSON. */
function synthStackJson(stack: ReturnType<typeof buildStack>): unknown {
  const assembly = (stack.node.root as App).synth();
  return assembly.getStackByName(stack.stackName).template;
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { actionsOf, buildStack, logicalId, render, resourcesOf, synthDefaultStack, synthStack, type Statement } from './support/synth.ts';

describe('jobs stack', () => {
  const { stack, template } = synthDefaultStack();
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));

  it.each(['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'JobsTableName', 'JobsQueueUrl'])('outputs %s', (name) => {
    template.hasOutput(name, { Value: Match.anyValue() });
  });

  it('outputs the base URL of the prod stage as ApiUrl', () => {
    const stage = stack.api.restApi.deploymentStage;
    expect(template.findResources('AWS::ApiGateway::Stage')[logicalId(stage)]?.Properties.StageName).toBe('prod');
    expect(render(template.findOutputs('ApiUrl')['ApiUrl']?.Value)).toBe(
      `https://\${${logicalId(stack.api.restApi)}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/\${${logicalId(stage)}}/`,
    );
  });

  it('has one function per route plus the worker, DLQ consumer, reconciler and token authorizer, and no others', () => {
    expect(functions).toHaveLength(ROUTES.length + 4);
  });

  it('runs every function on Node.js 22 or 24, on arm64', () => {
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toMatch(/^nodejs(22|24)\.x$/);
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  it('traces every function with X-Ray and enables source maps', () => {
    for (const fn of functions) {
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it('logs every function to its own log group kept one month', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    const used = functions.map((fn) => (fn.Properties.LoggingConfig?.LogGroup as { Ref: string } | undefined)?.Ref);
    expect(new Set(used).size).toBe(functions.length);
    for (const id of used) expect(groups[id ?? '']?.Properties.RetentionInDays).toBe(30);
  });

  it('grants no wildcard actions and never Scan or batch writes; DeleteItem only on the workspaces table (memberships)', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
    );
    const actions = statements.filter((statement) => statement.Effect === 'Allow').flatMap(actionsOf);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:BatchWriteItem');
    const workspacesArn = `\${${logicalId(stack.workspacesTable.table)}.Arn}`;
    const deletes = statements.filter((statement) => actionsOf(statement).includes('dynamodb:DeleteItem'));
    expect(deletes.length).toBeGreaterThan(0);
    for (const statement of deletes) expect(resourcesOf(statement)).toEqual([workspacesArn]);
  });

  it('creates a user pool without self sign-up and an app client without a secret', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
    });
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0];
    expect(client?.Properties.GenerateSecret).toBe(false);
    expect(client?.Properties.ExplicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH']));
  });

  it('generates a 64-character cursor-signing secret', () => {
    const secret = template.findResources('AWS::SecretsManager::Secret')[logicalId(stack.api.cursorSecret)];
    expect(secret?.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
  });
});

describe('jobs stack with an existing user pool', () => {
  const { template } = synthStack({ userPoolId: 'eu-west-1_AbCdEf123', userPoolClientId: '1example23456789' });

  it('creates no user pool or app client', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
  });

  it("authorizes with the given pool and people's client (the token authorizer's environment)", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ USER_POOL_ID: 'eu-west-1_AbCdEf123', USER_POOL_CLIENT_ID: '1example23456789' }) },
    });
  });

  it('adds the resource server to the given pool, and no domain unless authDomainPrefix is given', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { UserPoolId: 'eu-west-1_AbCdEf123', Identifier: 'jobs' });
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
  });

  it('outputs the given pool and client ids', () => {
    template.hasOutput('UserPoolId', { Value: 'eu-west-1_AbCdEf123' });
    template.hasOutput('UserPoolClientId', { Value: '1example23456789' });
  });
});

describe('cdk-nag AwsSolutions', () => {
  const profile = { bedrockModelId: 'eu.amazon.nova-lite-v1:0' };
  const existingPool = { userPoolId: 'eu-west-1_AbCdEf123', userPoolClientId: '1example23456789' };
  const deployEnv = { account: '123456789012', region: 'eu-west-1' };
  const perTypeBedrock = {
    bedrock: JSON.stringify({
      region: 'us-east-1',
      types: {
        AI_PREVIEW: { modelId: 'amazon.nova-micro-v1:0' },
        GAP_DETECTION: { modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' },
        REPORT_GENERATION: { modelId: 'global.anthropic.claude-sonnet-4-20250514-v1:0' },
        RISK_ANALYSIS: { modelId: 'us.amazon.nova-pro-v1:0' },
      },
    }),
  };
  it.each([
    ['the default configuration', {}, {}],
    ['an existing pool and an inference profile', { ...existingPool, ...profile }, {}],
    ['an inference profile in a concrete account and Region', profile, { env: deployEnv }],
    ['per-type models and inference profiles in a Bedrock Region', perTypeBedrock, {}],
    ['per-type models and inference profiles in a Bedrock Region, concrete account and Region', perTypeBedrock, { env: deployEnv }],
  ])('reports no unacknowledged errors or warnings for %s', (_, context, options) => {
    const { stack } = synthStack(context, options);
    const findings = new AwsSolutionsChecks().validateScope(stack).violations.map(
      (violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  it('gives every acknowledged finding a written reason of at least 10 characters', () => {
    const { stack } = synthDefaultStack();
    const acknowledgements = stack.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) expect(reason.trim().length, id).toBeGreaterThanOrEqual(10);
  });
});

describe('synthesis', () => {
  it('passes CloudFormation validation and cdk-nag as registered by bin/app.ts, with no findings', () => {
    const stack = buildStack({}, { cfnValidation: true });
    const app = stack.node.root as App;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((plugin) => plugin.violations.map((v) => ({ plugin: plugin.pluginName, v })))).toEqual([]);
  });
});

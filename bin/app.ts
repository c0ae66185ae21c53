/**
 * CDK entry point: only wiring. Configuration comes from context (see lib/config.ts), e.g.
 * `npx cdk synth -c allowedOrigins=https://app.example.com -c retainData=false`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from '../lib/config.ts';
import { JobsStack } from '../lib/jobs-stack.ts';

const app = new App();
const config = readConfig((key) => app.node.tryGetContext(key));
new JobsStack(app, 'AsyncJobsStack', {
  description: 'Asynchronous jobs API: API Gateway, Cognito, Lambda, SQS, DynamoDB, Bedrock',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  config,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

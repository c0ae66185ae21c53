/**
 * CDK entry point: only wiring. Configuration comes from context (see lib/config.ts), e.g.
 * `npx cdk synth -c allowedOrigins=https://app.example.com -c retainData=false`, or for the worker's
 * models `-c bedrock='{"region":"us-east-1","types":{"REPORT_GENERATION":{"maxTokens":4096}}}'`.
 *
 * With `-c localstack=true` (`npm run deploy:local`) the API trusts the local dev token key that
 * `npm run token` signs with: its public half is read (the key created if missing) from the dev
 * data folder, `$JOBS_DEV_DATA` or `.dev-data`, at synth time.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from '../lib/config.ts';
import { JobsStack } from '../lib/jobs-stack.ts';
import { defaultDataDir, keysDir } from '../lib/local/paths.ts';
import { loadOrCreateSigningKey } from '../lib/local/tokens.ts';

const app = new App();
const config = readConfig((key) => app.node.tryGetContext(key));
new JobsStack(app, 'AsyncJobsStack', {
  description: config.localstack
    ? 'Asynchronous jobs API, LocalStack variant (local dev tokens, no Cognito): API Gateway, Lambda, SQS, DynamoDB'
    : 'Asynchronous jobs API: API Gateway, Cognito, Lambda, SQS, DynamoDB, Bedrock',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  config,
  ...(config.localstack ? { localJwks: loadOrCreateSigningKey(keysDir(defaultDataDir())).jwks } : {}),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

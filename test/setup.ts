/**
 * Defaults for every test file: handler modules build their dependencies from the environment
 * when imported. Unit tests mock the AWS SDK, so these values never reach AWS. Integration tests
 * override the table and queue with the emulators' before importing handlers.
 */
const defaults: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  JOBS_TABLE_NAME: 'jobs-unit',
  WORKSPACES_TABLE_NAME: 'workspaces-unit',
  JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-unit',
  JOBS_QUEUE_URL_LOW: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-unit-low',
  JOBS_QUEUE_URL_HIGH: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-unit-high',
  JOBS_QUEUE_URL_URGENT: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-unit-urgent',
  JOBS_BUCKET_NAME: 'jobs-unit-payloads',
  CURSOR_SECRET: 'unit-test-cursor-secret-0123456789abcdef',
  BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0',
  LOG_LEVEL: 'silent',
  // No EMF lines in test output; the metrics tests turn them on where they read them.
  POWERTOOLS_METRICS_DISABLED: 'true',
};
for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;

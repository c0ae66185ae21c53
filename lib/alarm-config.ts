/**
 * Where the stack's alarms notify and when they fire, read from CDK context and validated up
 * front (a bad value fails synthesis with a message naming the context key). Every alarm looks at
 * 5-minute periods (ALARM_PERIOD_MINUTES); lib/constructs/jobs-monitoring.ts builds them.
 */
import { ConfigError, isAbsent, readNumber, type ContextLookup } from './context.ts';

/** The period every alarm evaluates, in minutes. */
export const ALARM_PERIOD_MINUTES = 5;

export interface AlarmThresholds {
  /** Context `alarmQueueAgeSeconds`: the oldest message of any priority band's queue is older. Default 1800. */
  readonly queueAgeSeconds: number;
  /** Context `alarmWorkerErrors`: more worker invocation errors (crashes, timeouts) in a period. Default 0. */
  readonly workerErrors: number;
  /** Context `alarmWorkerThrottles`: more throttled worker invocations in a period. Default 0. */
  readonly workerThrottles: number;
  /** Context `alarmApi5xxPercent`: a higher share of API requests answered 5xx, in 3 periods running. Default 1. */
  readonly api5xxPercent: number;
  /** Context `alarmApiLatencyP99Ms`: a slower p99 API latency, in 3 periods running. Default 3000. */
  readonly apiLatencyP99Ms: number;
  /** Context `alarmDynamoThrottles`: more throttled DynamoDB events (table and indexes) in a period. Default 0. */
  readonly dynamoThrottles: number;
  /** Context `alarmReconcilerRepairs`: more jobs the reconciler moved on (lost messages, lost attempts) in a period. Default 0. */
  readonly reconcilerRepairs: number;
  /** Context `alarmModelThrottles`: more Bedrock throttles in a period… Default 0. */
  readonly modelThrottles: number;
  /** …in this many periods running (context `alarmModelThrottlePeriods`): sustained throttling. Default 3. */
  readonly modelThrottlePeriods: number;
}

export interface AlarmConfig {
  /** Context `alarmEmail`: an address subscribed to the alarm topic the stack creates. Default: none. */
  readonly email?: string;
  /**
   * Context `alarmTopicArn`: an existing SNS topic the alarms notify instead of one the stack
   * creates (not with `alarmEmail`). Default: none (the stack creates an encrypted topic).
   */
  readonly topicArn?: string;
  readonly thresholds: AlarmThresholds;
}

interface ThresholdSpec {
  readonly key: string;
  readonly min: number;
  readonly max: number;
  readonly fallback: number;
  /** Whole numbers only. */
  readonly integer: boolean;
}

/** One context key each; bounds are what CloudWatch and the measured quantity allow. */
export const ALARM_THRESHOLDS: Readonly<Record<keyof AlarmThresholds, ThresholdSpec>> = {
  // Above a job's longest legitimate wait: scheduled up to 15 minutes ahead, then up to 3 attempts with backoff.
  queueAgeSeconds: { key: 'alarmQueueAgeSeconds', min: 60, max: 1_209_600, fallback: 1800, integer: true },
  workerErrors: { key: 'alarmWorkerErrors', min: 0, max: 1_000_000, fallback: 0, integer: true },
  workerThrottles: { key: 'alarmWorkerThrottles', min: 0, max: 1_000_000, fallback: 0, integer: true },
  api5xxPercent: { key: 'alarmApi5xxPercent', min: 0, max: 100, fallback: 1, integer: false },
  // API Gateway's integration timeout is 29 s.
  apiLatencyP99Ms: { key: 'alarmApiLatencyP99Ms', min: 100, max: 29_000, fallback: 3000, integer: true },
  dynamoThrottles: { key: 'alarmDynamoThrottles', min: 0, max: 1_000_000, fallback: 0, integer: true },
  reconcilerRepairs: { key: 'alarmReconcilerRepairs', min: 0, max: 1_000_000, fallback: 0, integer: true },
  modelThrottles: { key: 'alarmModelThrottles', min: 0, max: 1_000_000, fallback: 0, integer: true },
  // CloudWatch evaluates at most one day: 288 periods of 5 minutes.
  modelThrottlePeriods: { key: 'alarmModelThrottlePeriods', min: 1, max: (24 * 60) / ALARM_PERIOD_MINUTES, fallback: 3, integer: true },
};

/** The thresholds with no context set. */
export const ALARM_DEFAULTS: AlarmThresholds = Object.fromEntries(
  Object.entries(ALARM_THRESHOLDS).map(([name, spec]) => [name, spec.fallback]),
) as unknown as AlarmThresholds;

/** A plain address: something@domain.tld, no spaces or commas (SNS takes one address per subscription). */
const EMAIL = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>"]+$/;
/** arn:<partition>:sns:<region>:<account>:<topic name, 1-256 letters, digits, - and _ (.fifo allowed)>. */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:[\w-]{1,251}(\.fifo)?$/;

export function readAlarmConfig(lookup: ContextLookup): AlarmConfig {
  const email = readPattern(lookup, 'alarmEmail', EMAIL, 'one e-mail address like "ops@example.com"');
  const topicArn = readPattern(lookup, 'alarmTopicArn', TOPIC_ARN, 'an SNS topic ARN like "arn:aws:sns:eu-west-1:123456789012:ops-alarms"');
  if (email && topicArn) {
    throw new ConfigError('alarmEmail', 'no address with "alarmTopicArn" (subscribe it to that topic instead)', email);
  }
  if (topicArn?.endsWith('.fifo')) {
    throw new ConfigError('alarmTopicArn', 'a standard topic (CloudWatch alarms cannot notify FIFO topics)', topicArn);
  }
  const thresholds = Object.fromEntries(
    Object.entries(ALARM_THRESHOLDS).map(([name, spec]) => [name, readNumber(lookup, spec.key, spec)]),
  ) as unknown as AlarmThresholds;
  return { ...(email ? { email } : {}), ...(topicArn ? { topicArn } : {}), thresholds };
}

function readPattern(lookup: ContextLookup, key: string, pattern: RegExp, expected: string): string | undefined {
  const value = lookup(key);
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'string' || !pattern.test(value.trim())) throw new ConfigError(key, expected, value);
  return value.trim();
}

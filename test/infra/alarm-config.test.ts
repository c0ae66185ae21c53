import { describe, expect, it } from 'vitest';
import { ALARM_DEFAULTS, ALARM_THRESHOLDS, readAlarmConfig } from '../../lib/alarm-config.ts';
import { ConfigError, readConfig } from '../../lib/config.ts';

const fromContext = (context: Record<string, unknown>) => readAlarmConfig((key) => context[key]);

describe('alarm configuration', () => {
  it('uses the documented defaults, with no e-mail and no existing topic, when the context is empty', () => {
    expect(fromContext({})).toEqual({
      thresholds: {
        queueAgeSeconds: 1800,
        workerErrors: 0,
        workerThrottles: 0,
        api5xxPercent: 1,
        apiLatencyP99Ms: 3000,
        dynamoThrottles: 0,
        reconcilerRepairs: 0,
        modelThrottles: 0,
        modelThrottlePeriods: 3,
      },
    });
    expect(fromContext({}).thresholds).toEqual(ALARM_DEFAULTS);
  });

  it('is part of the stack configuration', () => {
    expect(readConfig((key) => ({ alarmEmail: 'ops@example.com', alarmQueueAgeSeconds: 900 })[key]).alarms).toEqual({
      email: 'ops@example.com',
      thresholds: { ...ALARM_DEFAULTS, queueAgeSeconds: 900 },
    });
  });

  it('reads each threshold from its context key, as a number (cdk.json) or text (-c)', () => {
    for (const [name, spec] of Object.entries(ALARM_THRESHOLDS)) {
      const value = spec.min + 1;
      expect(fromContext({ [spec.key]: value }).thresholds, spec.key).toMatchObject({ [name]: value });
      expect(fromContext({ [spec.key]: String(value) }).thresholds, spec.key).toMatchObject({ [name]: value });
    }
  });

  it('takes a fraction of a percent for the API 5xx rate', () => {
    expect(fromContext({ alarmApi5xxPercent: '0.5' }).thresholds.api5xxPercent).toBe(0.5);
  });

  it.each([
    ['alarmQueueAgeSeconds', 59],
    ['alarmQueueAgeSeconds', '30m'],
    ['alarmWorkerErrors', -1],
    ['alarmWorkerErrors', 1.5],
    ['alarmApi5xxPercent', 101],
    ['alarmApi5xxPercent', '1%'],
    ['alarmApiLatencyP99Ms', 30_000],
    ['alarmModelThrottlePeriods', 0],
    ['alarmModelThrottlePeriods', 289],
    ['alarmDynamoThrottles', true],
  ])('rejects %s = %j, naming the key and the range', (key, value) => {
    expect(() => fromContext({ [key]: value })).toThrow(ConfigError);
    expect(() => fromContext({ [key]: value })).toThrow(new RegExp(`"${key}": expected an? (integer|number) from`));
  });

  it('reads alarmEmail and alarmTopicArn', () => {
    expect(fromContext({ alarmEmail: ' ops@example.com ' }).email).toBe('ops@example.com');
    const arn = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
    expect(fromContext({ alarmTopicArn: arn }).topicArn).toBe(arn);
    expect(fromContext({ alarmTopicArn: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:ops_alarms' }).topicArn).toBeDefined();
  });

  it.each([
    ['alarmEmail', 'not-an-address'],
    ['alarmEmail', 'a@example.com,b@example.com'],
    ['alarmTopicArn', 'ops-alarms'],
    ['alarmTopicArn', 'arn:aws:sqs:eu-west-1:123456789012:ops-alarms'],
    ['alarmTopicArn', 'arn:aws:sns:eu-west-1:1234:ops-alarms'],
  ])('rejects %s = %j', (key, value) => {
    expect(() => fromContext({ [key]: value })).toThrow(new RegExp(`Invalid CDK context "${key}"`));
  });

  it('rejects a FIFO topic: CloudWatch alarms cannot notify one', () => {
    expect(() => fromContext({ alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops.fifo' })).toThrow(/standard topic/);
  });

  it('rejects alarmEmail together with alarmTopicArn', () => {
    expect(() => fromContext({ alarmEmail: 'ops@example.com', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' })).toThrow(
      /"alarmEmail": expected no address with "alarmTopicArn"/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { toSqsEvent } from '../../../lib/local/event-source.ts';

describe('the SQS event source stand-in: the event it builds', () => {
  it('keeps message attributes named like Object.prototype members as attributes', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const event = toSqsEvent(
      [
        {
          MessageId: 'm-1',
          ReceiptHandle: 'r-1',
          Body: '{}',
          Attributes: { ApproximateReceiveCount: '2' },
          // fromEntries: `__proto__` as an own key, as the SDK's JSON parsing gives it.
          MessageAttributes: Object.fromEntries(names.map((name) => [name, { DataType: 'String', StringValue: `v-${name}` }])),
        },
      ],
      'arn:aws:sqs:eu-west-1:000000000000:jobs',
    );
    const record = event.Records[0]!;
    expect(Object.keys(record.messageAttributes)).toEqual(names);
    for (const name of names) expect(record.messageAttributes[name]?.stringValue).toBe(`v-${name}`);
    expect(Object.getPrototypeOf(record.messageAttributes)).toBe(Object.prototype);
    expect(record.attributes.ApproximateReceiveCount).toBe('2');
    expect(record.awsRegion).toBe('eu-west-1');
  });
});

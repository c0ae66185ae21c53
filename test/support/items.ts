/**
 * Job items as DynamoDB stores them (what GetItem, BatchGetItem and UpdateItem answer), for
 * unit tests that mock the SDK: one PENDING AI_PREVIEW job of user-a, with any field overridden.
 */
export const JOB_ID = '550e8400-e29b-41d4-a716-446655440000';

export function jobItem(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: JOB_ID,
    ownerId: 'user-a',
    type: 'AI_PREVIEW',
    status: 'PENDING',
    input: { prompt: 'hi' },
    priority: 'normal',
    attempts: 0,
    maxAttempts: 3,
    generation: 0,
    createdAt: '2026-03-04T12:00:00.000Z',
    updatedAt: '2026-03-04T12:00:00.000Z',
    dueAt: '2026-03-04T12:05:00.000Z',
    dueShard: 'due-07',
    ...overrides,
  };
}

/** The values an UpdateItem or PutItem wrote (the new status, the error…), whatever its expression. */
export function writtenValues(input: { readonly ExpressionAttributeValues?: Record<string, unknown> }): unknown[] {
  return Object.values(input.ExpressionAttributeValues ?? {});
}

import { describe, expect, it } from 'vitest';
import { MAX_WORKER_CONCURRENCY, MIN_WORKER_CONCURRENCY, splitWorkerConcurrency } from '../../../lambdas/shared/resources.ts';

describe('splitWorkerConcurrency', () => {
  it('gives each band at least 2 (the event source minimum) and adds up to the total', () => {
    for (let total = MIN_WORKER_CONCURRENCY; total <= 200; total++) {
      const shares = splitWorkerConcurrency(total);
      expect(Object.values(shares).every((share) => share >= 2)).toBe(true);
      expect(Object.values(shares).reduce((a, b) => a + b, 0)).toBe(total);
    }
  });

  it('splits the default 10 as low 2, normal 3, high 2, urgent 3', () => {
    expect(splitWorkerConcurrency(10)).toEqual({ low: 2, normal: 3, high: 2, urgent: 3 });
  });

  it('shares larger totals by weight: normal 3, high 2, urgent 2, low 1', () => {
    expect(splitWorkerConcurrency(80)).toEqual({ low: 10, normal: 30, high: 20, urgent: 20 });
  });

  it('keeps every share within the 1,000 an event source allows up to MAX_WORKER_CONCURRENCY, and no further', () => {
    expect(Math.max(...Object.values(splitWorkerConcurrency(MAX_WORKER_CONCURRENCY)))).toBe(1000);
    expect(Math.max(...Object.values(splitWorkerConcurrency(MAX_WORKER_CONCURRENCY + 1)))).toBeGreaterThan(1000);
  });

  it('refuses a total below 2 per band', () => {
    expect(() => splitWorkerConcurrency(7)).toThrow(/at least 8/);
    expect(splitWorkerConcurrency(8)).toEqual({ low: 2, normal: 2, high: 2, urgent: 2 });
  });
});

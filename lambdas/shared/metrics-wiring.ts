/**
 * The metrics of a function that emits some: the Powertools adapter, written at the end of each
 * invocation. Only the functions that record job events import this module (read routes do not
 * carry Powertools Metrics in their bundle).
 */
import { PowertoolsJobMetrics } from '../adapters/powertools-metrics.ts';
import type { JobMetrics } from '../domain/ports.ts';
import type { Flushable } from './invocation.ts';

/** A function's metrics, flushed by `afterEach` at the end of every invocation. */
export function jobMetricsFrom(wiring: { afterEach(flushable: Flushable): void }): JobMetrics {
  const metrics = new PowertoolsJobMetrics();
  wiring.afterEach(metrics);
  return metrics;
}

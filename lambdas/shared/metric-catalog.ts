/**
 * The one list of the metrics the functions emit (CloudWatch embedded metric format, through
 * Powertools Metrics) and the alarms and the dashboard read, so a name cannot drift between the
 * code that emits it and the stack that watches it. No AWS SDK or CDK imports here.
 *
 * Every metric is emitted in the namespace METRICS_NAMESPACE with the dimension `service` (the
 * stack's name, Powertools' default dimension) alone, which alarms read, and, where `by` names
 * more dimensions, once more with `service` and those, which the dashboard breaks down.
 */
export const METRICS_NAMESPACE = 'AsyncJobs';

/** The dimension every metric carries: the stack name (POWERTOOLS_SERVICE_NAME). */
export const SERVICE_DIMENSION = 'service';

export type MetricUnit = 'Count' | 'Milliseconds';

export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnit;
  /** Extra dimensions of the breakdown set (`service` plus these); none: `service` only. */
  readonly by: readonly ('JobType' | 'FailureClass' | 'ModelId' | 'Repair')[];
}

/** The metrics, each with what it counts or times (a comment: every function bundles this list). */
export const METRICS = {
  /** Jobs accepted by a create (not replays, not reused results). */
  jobsCreated: { name: 'JobsCreated', unit: 'Count', by: ['JobType'] },
  /** Creates answered with an earlier job's result. */
  jobsReused: { name: 'JobsReused', unit: 'Count', by: ['JobType'] },
  /** Jobs that reached COMPLETED. */
  jobsCompleted: { name: 'JobsCompleted', unit: 'Count', by: ['JobType'] },
  /** Jobs that reached FAILED, by why. */
  jobsFailed: { name: 'JobsFailed', unit: 'Count', by: ['JobType', 'FailureClass'] },
  /** Explicit retries (POST …/retry). */
  jobsRetried: { name: 'JobsRetried', unit: 'Count', by: ['JobType'] },
  /** Jobs cancelled by their caller. */
  jobsCancelled: { name: 'JobsCancelled', unit: 'Count', by: ['JobType'] },
  /** Failed attempts that will be tried again. */
  attemptsRequeued: { name: 'AttemptsRequeued', unit: 'Count', by: ['JobType'] },
  /** Claim to the end of an attempt. */
  attemptDuration: { name: 'AttemptDuration', unit: 'Milliseconds', by: ['JobType'] },
  /** Created or requeued (or due, when scheduled) to claimed. */
  queueDelay: { name: 'QueueDelay', unit: 'Milliseconds', by: ['JobType'] },
  /** One model call. */
  modelLatency: { name: 'ModelLatency', unit: 'Milliseconds', by: ['ModelId'] },
  /** Input tokens of model calls. */
  modelInputTokens: { name: 'ModelInputTokens', unit: 'Count', by: ['ModelId'] },
  /** Output tokens of model calls. */
  modelOutputTokens: { name: 'ModelOutputTokens', unit: 'Count', by: ['ModelId'] },
  /** Model calls refused by Bedrock for quota or throttling. */
  modelThrottles: { name: 'ModelThrottles', unit: 'Count', by: ['ModelId'] },
  /** Messages that reached the dead-letter queue. */
  jobsDeadLettered: { name: 'JobsDeadLettered', unit: 'Count', by: ['JobType'] },
  /** Jobs the reconciler had to move on: a lost message or attempt. */
  reconcilerRepairs: { name: 'ReconcilerRepairs', unit: 'Count', by: ['Repair'] },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/**
 * Why a job ended FAILED (the FailureClass dimension of JobsFailed), a small closed set:
 * - NonRetryable: the processor (or the model) said the job cannot succeed as asked, or its
 *   result is too large to keep;
 * - InvalidInput: the stored input, its type or its payload is no longer usable;
 * - AttemptsExhausted: the last of maxAttempts attempts failed with a retryable error;
 * - DeadLettered: the message exhausted delivery (the DLQ consumer failed the job);
 * - Lost: the reconciler found the last attempt's worker gone.
 */
export const FAILURE_CLASSES = ['NonRetryable', 'InvalidInput', 'AttemptsExhausted', 'DeadLettered', 'Lost'] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/**
 * What the reconciler had to do (the Repair dimension of ReconcilerRepairs): re-send a PENDING
 * job's lost message, requeue a job whose attempt was lost, or fail one whose last attempt was.
 */
export const REPAIRS = ['Resent', 'Requeued', 'Failed'] as const;
export type Repair = (typeof REPAIRS)[number];

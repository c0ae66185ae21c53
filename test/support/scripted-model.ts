/**
 * A Model (the Bedrock port) whose behaviour each test scripts: answer, fail with a given
 * error, or block until the test releases it (or the attempt's signal aborts it).
 */
import type { ModelRequest, ModelResponse, StructuredModel, StructuredRequest, StructuredResponse } from '../../lambdas/domain/model.ts';

export const FAKE_MODEL_ID = 'test.fake-model-v1';

/** The reply of call `n` (1-based) to `prompt`, so a result names the call that produced it. */
export function fakeReply(call: number, request: Pick<ModelRequest, 'prompt'>): ModelResponse {
  return {
    text: `reply #${call} to: ${request.prompt}`,
    modelId: FAKE_MODEL_ID,
    usage: { inputTokens: request.prompt.length, outputTokens: 4 + call },
    stopReason: 'end_turn',
    latencyMs: 3,
  };
}

/** What a blocked call waits for. */
export interface Gate {
  /** Resolves with the request once the call has started. */
  readonly entered: Promise<ModelRequest>;
  /** Lets the call answer (its normal reply). */
  release(): void;
  /** Makes the call throw. */
  fail(error: Error): void;
}

type Step =
  | { readonly kind: 'reply' }
  | { readonly kind: 'throw'; readonly error: Error }
  | { readonly kind: 'block'; readonly gate: GateImpl };

class GateImpl implements Gate {
  readonly entered: Promise<ModelRequest>;
  enter!: (request: ModelRequest) => void;
  outcome: Promise<Error | undefined>;
  private settle!: (error: Error | undefined) => void;

  constructor() {
    this.entered = new Promise((resolve) => (this.enter = resolve));
    this.outcome = new Promise((resolve) => (this.settle = resolve));
  }
  release(): void {
    this.settle(undefined);
  }
  fail(error: Error): void {
    this.settle(error);
  }
}

export class ScriptedModel implements StructuredModel {
  readonly requests: ModelRequest[] = [];
  private readonly steps: Step[] = [];

  /** Calls so far. */
  get calls(): number {
    return this.requests.length;
  }

  /** The next calls throw these errors, in order; later calls answer. */
  failWith(...errors: Error[]): this {
    for (const error of errors) this.steps.push({ kind: 'throw', error });
    return this;
  }

  /** The next call answers normally (useful between scripted failures). */
  reply(): this {
    this.steps.push({ kind: 'reply' });
    return this;
  }

  /** The next unscripted call blocks until the gate is released or failed, or the signal aborts. */
  block(): Gate {
    const gate = new GateImpl();
    this.steps.push({ kind: 'block', gate });
    return gate;
  }

  /** What structured calls answer (after the same scripted failures and blocks as text calls). */
  structuredValue: (request: StructuredRequest) => unknown = () => {
    throw new Error('ScriptedModel: no structured reply scripted (set structuredValue)');
  };

  async generateStructured(request: StructuredRequest): Promise<StructuredResponse> {
    const { text: _text, ...reply } = await this.generate(request);
    return { ...reply, value: this.structuredValue(request) };
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const call = this.requests.length;
    const step = this.steps.shift() ?? { kind: 'reply' };
    if (step.kind === 'throw') throw step.error;
    if (step.kind === 'block') {
      step.gate.enter(request);
      const error = await Promise.race([step.gate.outcome, aborted(request.signal)]);
      if (error) throw error;
    }
    return fakeReply(call, request);
  }
}

/** Resolves with the abort reason (as BedrockModel rethrows it) once the signal aborts. */
function aborted(signal: AbortSignal | undefined): Promise<Error> {
  return new Promise((resolve) => {
    if (!signal) return;
    const reason = () => resolve(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) reason();
    else signal.addEventListener('abort', reason, { once: true });
  });
}

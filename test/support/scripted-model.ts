/**
 * The fake Model (the Bedrock port) of every test. It records each request and answers as the
 * test scripts it: the next calls may throw or block until the test releases them (or the
 * attempt's signal aborts them); other text calls answer `fakeReply`, other structured calls
 * the scripted `answer`s (or `structuredValue`).
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

/** A structured reply carrying `value`: 1200 tokens in, 300 out, 900 ms, unless `overrides` say otherwise. */
export function structuredResponse(value: unknown, overrides: Partial<StructuredResponse> = {}): StructuredResponse {
  return {
    value,
    modelId: 'amazon.nova-pro-v1:0',
    usage: { inputTokens: 1200, outputTokens: 300 },
    stopReason: 'tool_use',
    latencyMs: 900,
    ...overrides,
  };
}

/** One scripted structured reply: a tool-call value (as is), a whole response, or an error to throw. */
export type Reply = { readonly value: unknown } | { readonly response: StructuredResponse } | { readonly error: Error };

/** A request as the model received it: structured calls add their documents and tool. */
export type ScriptedRequest = ModelRequest & Partial<Pick<StructuredRequest, 'documents' | 'tool'>>;

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
  readonly requests: ScriptedRequest[] = [];
  private readonly steps: Step[] = [];
  private readonly answers: Reply[] = [];
  private answered = 0;

  /** `events` receives `model` at each call, to check the order against other events. */
  constructor(private readonly events?: string[]) {}

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

  /** What structured calls answer, in order; the last one keeps answering. */
  answer(...replies: Reply[]): this {
    this.answers.push(...replies);
    return this;
  }

  /** What structured calls answer when no `answer` is scripted (with fakeReply's usage). */
  structuredValue: (request: StructuredRequest) => unknown = () => {
    throw new Error('ScriptedModel: no structured reply scripted (answer or structuredValue)');
  };

  async generateStructured(request: StructuredRequest): Promise<StructuredResponse> {
    const { text: _text, ...reply } = await this.generate(request);
    const scripted = this.answers[Math.min(this.answered++, this.answers.length - 1)];
    if (scripted === undefined) return { ...reply, value: this.structuredValue(request) };
    if ('error' in scripted) throw scripted.error;
    return 'response' in scripted ? scripted.response : structuredResponse(scripted.value);
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    this.events?.push('model');
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

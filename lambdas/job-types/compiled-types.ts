/** What compile.ts makes of a job type for the worker: plain data, no zod. */
import type { JsonSchema } from './json-check.ts';
import type { ModelSettingsSpec } from './model-settings.ts';

export interface CompiledJobType {
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly modelSettings: ModelSettingsSpec;
  /** The stored input's JSON Schema (its shape: the create checked the rest). */
  readonly input: JsonSchema;
  /** A structured type's: the JSON Schema of the model's reply (its tool's input schema). */
  readonly output?: JsonSchema;
}

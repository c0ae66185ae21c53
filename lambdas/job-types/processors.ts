/**
 * The worker's job types: each definition joined with its processor, checked at start-up so a
 * missing processor or a timeout that cannot fit in the worker fails the deploy's first
 * invocation loudly instead of a job at run time.
 */
import type { JobType, JobTypeDefinition, Processor } from '../domain/job-types.ts';
import type { StructuredModel } from '../domain/model.ts';
import { WORKER } from '../shared/resources.ts';
import { aiPreviewType } from './ai-preview/definition.ts';
import { createAiPreviewProcessor } from './ai-preview/processor.ts';
import { JOB_TYPE_DEFINITIONS } from './definitions.ts';
import { gapDetectionType } from './gap-detection/definition.ts';
import { createGapDetectionProcessor } from './gap-detection/processor.ts';
import { readModelSettings, type ModelSettingsSpec } from './model-settings.ts';
import { parseDocumentType } from './parse-document/definition.ts';
import { createParseDocumentProcessor } from './parse-document/processor.ts';
import { reportGenerationType } from './report-generation/definition.ts';
import { createReportGenerationProcessor } from './report-generation/processor.ts';
import { riskAnalysisType } from './risk-analysis/definition.ts';
import { createRiskAnalysisProcessor } from './risk-analysis/processor.ts';

export interface JobTypeDependencies {
  readonly model: StructuredModel;
}

/**
 * Each type's model settings defaults (see model-settings.ts for the environment variables that
 * override them). AI_PREVIEW takes max tokens from its input, so only its model id.
 */
export const MODEL_SETTINGS_SPECS = {
  AI_PREVIEW: 'model-id-only',
  PARSE_DOCUMENT: {},
  GAP_DETECTION: {},
  RISK_ANALYSIS: {},
  REPORT_GENERATION: { maxTokens: 4096 },
} as const satisfies Record<string, ModelSettingsSpec>;

/** A processor registered under its definition's name; `bind` keeps the two input types equal. */
export interface ProcessorBinding {
  readonly name: string;
  readonly process: Processor<never>;
}

export function bind<Input>(definition: JobTypeDefinition<Input>, process: Processor<Input>): ProcessorBinding {
  return { name: definition.name, process };
}

/** Seconds an attempt may run: the worker's Lambda timeout minus the margin kept to record it. */
export const MAX_JOB_TIMEOUT_SECONDS = WORKER.timeoutSeconds - WORKER.finishMarginSeconds;

/**
 * The worker's job types. Reads and validates the model settings from `env` once (a bad value
 * throws a ConfigurationError naming the variable).
 */
export function createJobTypes(
  deps: JobTypeDependencies,
  env: Readonly<Record<string, string | undefined>> = process.env,
): JobType[] {
  const settings = readModelSettings(env, MODEL_SETTINGS_SPECS);
  const { model } = deps;
  return joinJobTypes(JOB_TYPE_DEFINITIONS, [
    bind(aiPreviewType, createAiPreviewProcessor(model, { modelId: settings.AI_PREVIEW.modelId })),
    bind(parseDocumentType, createParseDocumentProcessor(model, settings.PARSE_DOCUMENT)),
    bind(gapDetectionType, createGapDetectionProcessor(model, settings.GAP_DETECTION)),
    bind(riskAnalysisType, createRiskAnalysisProcessor(model, settings.RISK_ANALYSIS)),
    bind(reportGenerationType, createReportGenerationProcessor(model, settings.REPORT_GENERATION)),
  ]);
}

/**
 * Joins definitions with processors by name. Throws when a definition has no processor (or a
 * processor no definition), or when a type's timeout exceeds MAX_JOB_TIMEOUT_SECONDS.
 */
export function joinJobTypes(
  definitions: readonly JobTypeDefinition[],
  bindings: readonly ProcessorBinding[],
): JobType[] {
  const processors = new Map<string, Processor<never>>();
  for (const binding of bindings) {
    if (processors.has(binding.name)) throw new Error(`Job type ${binding.name} has two processors`);
    processors.set(binding.name, binding.process);
  }
  const names = new Set(definitions.map((definition) => definition.name));
  const orphans = [...processors.keys()].filter((name) => !names.has(name));
  if (orphans.length > 0) {
    throw new Error(`Processors without a job type definition: ${orphans.join(', ')}`);
  }

  return definitions.map((definition) => {
    const process = processors.get(definition.name);
    if (process === undefined) {
      throw new Error(`Job type ${definition.name} has no processor: register one in lambdas/job-types/processors.ts`);
    }
    if (definition.timeoutSeconds > MAX_JOB_TIMEOUT_SECONDS) {
      throw new Error(
        `Job type ${definition.name}: timeoutSeconds ${definition.timeoutSeconds} exceeds ${MAX_JOB_TIMEOUT_SECONDS} ` +
          `(worker timeout ${WORKER.timeoutSeconds}s minus ${WORKER.finishMarginSeconds}s finish margin)`,
      );
    }
    // Safe: the worker parses the input with `definition.input` before calling `process`, and
    // `bind` checked that the processor takes what that schema produces.
    return { ...definition, process: process as Processor<unknown> };
  });
}

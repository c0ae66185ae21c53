/** What the job type tests share: ids, model settings, and the structured types' cases. */
import type { JobType, JobTypeDefinition, ProcessorContext, SourceJob } from '../../../lambdas/domain/job-types.ts';
import { definition as gapDetectionDefinition } from '../../../lambdas/job-types/gap-detection/index.ts';
import { definition as parseDocumentDefinition } from '../../../lambdas/job-types/parse-document/index.ts';
import { definition as reportGenerationDefinition } from '../../../lambdas/job-types/report-generation/index.ts';
import { definition as riskAnalysisDefinition } from '../../../lambdas/job-types/risk-analysis/index.ts';
import type { JsonObject } from '../../../lambdas/domain/json.ts';
import type { StructuredModel } from '../../../lambdas/domain/model.ts';
import { worker as gapDetection } from '../../../lambdas/job-types/gap-detection/worker.ts';
import type { ModelSettings } from '../../../lambdas/job-types/model-settings.ts';
import { worker as parseDocument } from '../../../lambdas/job-types/parse-document/worker.ts';
import { createJobTypes } from '../../../lambdas/job-types/processors.ts';
import { worker as reportGeneration } from '../../../lambdas/job-types/report-generation/worker.ts';
import { worker as riskAnalysis } from '../../../lambdas/job-types/risk-analysis/worker.ts';
import type { StructuredJobTypeWorker } from '../../../lambdas/job-types/structured.ts';

export const SOURCE_ID = '550e8400-e29b-41d4-a716-446655440000';
export const SOURCE_ID_2 = '550e8400-e29b-41d4-a716-446655440001';
export const UPLOAD_ID = '0b9e5a4c-6d2f-4f43-9a51-3f1e2d7c8b90.10';

/** The model settings the tests run with, and the environment that sets them for every type. */
export const SETTINGS: ModelSettings = { modelId: 'amazon.nova-pro-v1:0', maxTokens: 1500, temperature: 0.3 };
export const SETTINGS_ENV = { BEDROCK_MODEL_ID: 'amazon.nova-pro-v1:0', BEDROCK_MAX_TOKENS: '1500', BEDROCK_TEMPERATURE: '0.3' };

/** The worker's job type `name` on `model`, as createJobTypes builds it from `env`. */
export function workerType(name: string, model: StructuredModel, env: Record<string, string> = SETTINGS_ENV): JobType<any> {
  const type = createJobTypes({ model }, env).find((candidate) => candidate.name === name);
  if (!type) throw new Error(`No job type ${name}`);
  return type;
}

/** `input` as `type`'s check returns it (as the worker does before it runs the processor); throws when it does not pass. */
export function checkedInput<Input>(type: JobType<Input>, input: unknown): Input {
  const checked = type.input.safeParse(input);
  if (!checked.success) throw new Error(`The input does not pass ${type.name}'s check: ${JSON.stringify(input)}`);
  return checked.data;
}

/** One attempt of `type` on `input` (checked, as the worker does): its result, or what it threw. */
export async function attempt(type: JobType<any>, input: unknown, context: ProcessorContext) {
  return type.process(checkedInput(type, input), context).then(
    (result) => ({ result, failure: undefined }),
    (failure: unknown) => ({ result: undefined, failure }),
  );
}

/** Zod issues as `[dotted path, message]`. */
export function issuesOf(schema: { safeParse(input: unknown): { success: boolean; error?: { issues: readonly { path: PropertyKey[]; message: string }[] } } }, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? [] : (result.error?.issues ?? []).map((issue) => [issue.path.map(String).join('.'), issue.message]);
}

/** A document given as text: it must reach the model as the document, never in the prompt. */
export const TEXT = 'The harvest plan: we harvest in late September. SECRET-DOCUMENT-TEXT';

/** `%PDF-` first, so it passes the format check; the bytes must reach the model unchanged. */
export const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]), Buffer.from('\nSECRET-PDF-BODY')]);

/** The caller's earlier jobs a chained input names (SOURCE_ID, SOURCE_ID_2). */
export const SOURCES: SourceJob[] = [
  {
    id: SOURCE_ID,
    type: 'PARSE_DOCUMENT',
    result: { title: 'Plan', summary: 'A harvest plan.', sections: [{ heading: 'Timing', text: 'September.' }] },
  },
  {
    id: SOURCE_ID_2,
    type: 'RISK_ANALYSIS',
    result: {
      risks: [{ category: 'schedule', description: 'Rain.', likelihood: 'medium', impact: 'high', mitigation: 'Extra days.' }],
    },
  },
];

const RISK = {
  category: 'schedule',
  description: 'Rain delays the harvest.',
  likelihood: 'medium',
  impact: 'high',
  mitigation: 'Book the crew for two extra days.',
};

export interface StructuredCase {
  readonly type: string;
  readonly worker: StructuredJobTypeWorker<any, any>;
  /** Its definition (index.ts): the API's schema of its input. */
  readonly definition: JobTypeDefinition<any>;
  /** The tool the model must call. */
  readonly tool: string;
  /** The ways the type takes its document, each with an input that gives it that way. */
  readonly inputs: {
    /** The document as TEXT. */
    readonly text?: JsonObject;
    /** The results of SOURCES. */
    readonly sources?: JsonObject;
    /** An uploaded PDF (UPLOAD_ID). */
    readonly upload?: JsonObject;
  };
  /** A reply that validates. */
  readonly valid: JsonObject;
  /** A reply that does not, and what is wrong with it as the retry prompt and the error say it. */
  readonly invalid: JsonObject;
  readonly issues: readonly string[];
}

/** Every structured job type. */
export const STRUCTURED_CASES: readonly StructuredCase[] = [
  {
    type: 'PARSE_DOCUMENT',
    worker: parseDocument,
    definition: parseDocumentDefinition,
    tool: 'record_document_structure',
    inputs: { text: { text: TEXT }, upload: { document: { uploadId: UPLOAD_ID, format: 'pdf' } } },
    valid: { title: 'Harvest plan', summary: 'When and how to harvest.', sections: [{ heading: 'Timing', text: 'Late September.' }] },
    invalid: { title: '', summary: 'x' },
    issues: ['title: Too small: expected string to have >=1 characters', 'sections: Invalid input: expected array, received undefined'],
  },
  {
    type: 'GAP_DETECTION',
    worker: gapDetection,
    definition: gapDetectionDefinition,
    tool: 'record_gaps',
    inputs: {
      text: { text: TEXT, requiredTopics: ['budget', 'weather'] },
      sources: { sourceJobIds: [SOURCE_ID, SOURCE_ID_2], question: 'Is it funded?' },
      upload: { document: { uploadId: UPLOAD_ID, format: 'pdf' }, requiredTopics: ['budget'], question: 'Is it funded?' },
    },
    valid: {
      gaps: [
        { area: 'Budget', description: 'No costs are given.', severity: 'high' },
        { area: 'Weather', description: 'No plan for rain.', severity: 'medium' },
      ],
    },
    invalid: { gaps: [{ area: 'Budget', description: 'No costs.', severity: 'critical' }] },
    issues: ['gaps.0.severity: Invalid option: expected one of "low"|"medium"|"high"'],
  },
  {
    type: 'RISK_ANALYSIS',
    worker: riskAnalysis,
    definition: riskAnalysisDefinition,
    tool: 'record_risks',
    inputs: {
      text: { text: TEXT },
      sources: { sourceJobIds: [SOURCE_ID, SOURCE_ID_2] },
      upload: { document: { uploadId: UPLOAD_ID, format: 'pdf' } },
    },
    valid: { risks: [RISK] },
    invalid: { risks: [{ category: RISK.category, description: RISK.description, likelihood: 'likely', impact: RISK.impact }] },
    issues: [
      'risks.0.likelihood: Invalid option: expected one of "low"|"medium"|"high"',
      'risks.0.mitigation: Invalid input: expected string, received undefined',
    ],
  },
  {
    type: 'REPORT_GENERATION',
    worker: reportGeneration,
    definition: reportGenerationDefinition,
    tool: 'record_report',
    inputs: { sources: { sourceJobIds: [SOURCE_ID, SOURCE_ID_2], instructions: 'For the board.' } },
    valid: { title: 'Harvest review', markdown: '## Findings\n\n- Budget is missing.' },
    invalid: { title: 'Harvest review' },
    issues: ['markdown: Invalid input: expected string, received undefined'],
  },
];

/** A case's first input: the one a test that needs only one runs with. */
export function firstInput(testCase: StructuredCase): JsonObject {
  const input = testCase.inputs.text ?? testCase.inputs.sources ?? testCase.inputs.upload;
  if (!input) throw new Error(`${testCase.type} has no input`);
  return input;
}

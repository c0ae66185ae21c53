/**
 * Every job type's definition: what the API needs to validate a create. Must not import
 * processors or the AWS SDK, since the API functions bundle this file; processors.ts joins
 * these with their processors for the worker.
 */
import { JobTypeCatalog, type JobTypeDefinition } from '../domain/job-types.ts';
import { aiPreviewType } from './ai-preview/definition.ts';
import { gapDetectionType } from './gap-detection/definition.ts';
import { parseDocumentType } from './parse-document/definition.ts';
import { reportGenerationType } from './report-generation/definition.ts';
import { riskAnalysisType } from './risk-analysis/definition.ts';

export const JOB_TYPE_DEFINITIONS: readonly JobTypeDefinition[] = [
  aiPreviewType,
  parseDocumentType,
  gapDetectionType,
  riskAnalysisType,
  reportGenerationType,
];

export const jobTypeCatalog = new JobTypeCatalog(JOB_TYPE_DEFINITIONS);

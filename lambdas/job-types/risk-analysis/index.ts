/**
 * RISK_ANALYSIS: lists the risks in a document, each with likelihood, impact and mitigation. The
 * document is given as text, as the results of the caller's earlier jobs (`sourceJobIds`) or as
 * an uploaded file. What the API and `cdk synth` need (API-safe); the worker's part is worker.ts.
 */
import type { z } from 'zod';
import { defineJobType } from '../../domain/job-types.ts';
import { strictInput } from '../input-fields.ts';
import { SUBJECT_FIELDS, SUBJECT_REFERENCES, exactlyOneSubject } from '../subject-input.ts';

const input = strictInput('input', SUBJECT_FIELDS).superRefine(exactlyOneSubject('analyse'));

export const definition = defineJobType<z.infer<typeof input>>({
  name: 'RISK_ANALYSIS',
  description:
    'Lists the risks in a document (text, or the results of earlier jobs), each with category, likelihood, impact and mitigation.',
  input,
  timeoutSeconds: 60,
  ...SUBJECT_REFERENCES,
});

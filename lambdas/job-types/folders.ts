/**
 * Where the job types live: one folder each under lambdas/job-types/, named after the type in
 * kebab case (GAP_DETECTION in gap-detection/). Plain data, no zod: the worker reads it too.
 */

/** Every job type, by folder, in the order the API names them. */
export const JOB_TYPE_FOLDERS: readonly string[] = [
  'ai-preview',
  'parse-document',
  'gap-detection',
  'risk-analysis',
  'report-generation',
];

/** The folder of a type: its name in kebab case. */
export function jobTypeFolder(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

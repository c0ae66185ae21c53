/** The get-job-result function: its logic and wiring live in ../logic/get-job-result.ts, which the workspace route reuses without wiring this one. */
import { getJobResult, wire } from '../logic/get-job-result.ts';
import { routeHandler } from '../wiring.ts';

export const handler = await routeHandler('get-job-result', getJobResult, wire);

/** The cancel-job function: its logic and wiring live in ../logic/cancel-job.ts, which the workspace route reuses without wiring this one. */
import { cancelJob, wire } from '../logic/cancel-job.ts';
import { routeHandler } from '../wiring.ts';

export const handler = await routeHandler('cancel-job', cancelJob, wire);

/** The create-job function: its logic and wiring live in ../logic/create-job.ts, which the workspace route reuses without wiring this one. */
import { createJob, wire } from '../logic/create-job.ts';
import { routeHandler } from '../wiring.ts';

export const handler = await routeHandler('create-job', createJob, wire);

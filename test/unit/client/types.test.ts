import { describe, expect, expectTypeOf, it } from 'vitest';
import { JOB_TYPE_NAMES, type CreateJobRequest, type JobInputs, type JobTypeName } from '../../../client/index.ts';
import { JOB_TYPE_DEFINITIONS } from '../../../lambdas/job-types/definitions.ts';
import { JOB_STATUSES, type JobStatus } from '../../../lambdas/domain/job.ts';

describe('the client types match the API', () => {
  it('names every job type the API has, in its order, and no other', () => {
    expect([...JOB_TYPE_NAMES]).toEqual(JOB_TYPE_DEFINITIONS.map((definition) => definition.name));
  });

  it('types each job type input from its schema', () => {
    expectTypeOf<JobInputs['AI_PREVIEW']>().toMatchTypeOf<{ prompt: string; system?: string; maxTokens?: number }>();
    expectTypeOf<{ type: 'AI_PREVIEW'; input: { prompt: string } }>().toMatchTypeOf<CreateJobRequest>();
    // A wrong input for the type does not compile.
    expectTypeOf<{ type: 'AI_PREVIEW'; input: { text: string } }>().not.toMatchTypeOf<CreateJobRequest>();
    expectTypeOf<(typeof JOB_TYPE_NAMES)[number]>().toEqualTypeOf<JobTypeName>();
    expectTypeOf<JobStatus>().toEqualTypeOf<(typeof JOB_STATUSES)[number]>();
  });
});

describe('the client bundle', () => {
  it('holds nothing but the client itself: the API types it imports are erased', async () => {
    const { build } = await import('esbuild');
    const result = await build({ entryPoints: ['client/index.ts'], bundle: true, format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    expect(Object.keys(result.metafile.inputs).sort()).toEqual(['client/errors.ts', 'client/index.ts', 'client/types.ts']);
  });
});

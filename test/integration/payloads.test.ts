/**
 * The claim check through the real handlers, on DynamoDB and S3 engines (dynalite and fauxqs, or
 * AWS_ENDPOINT_URL): inputs and results over the inline limits live in the payload bucket, the
 * job record stays small, and the API answers exactly as if they were in the record.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { StructuredRequest } from '../../lambdas/domain/model.ts';
import { INLINE_LIMITS } from '../../lambdas/domain/payloads.ts';
import { useHarness } from '../support/harness.ts';
import { ScriptedModel } from '../support/scripted-model.ts';

const h = useHarness();

const record = async (id: string) =>
  (await h.infra.doc.send(new GetCommand({ TableName: h.infra.tableName, Key: { id }, ConsistentRead: true }))).Item!;

describe('large inputs and results', () => {
  it('are stored as objects; the record keeps references and stays small; GET, /result and the list answer as before', async () => {
    const user = h.newUser();
    const prompt = `Summarise this: ${'lorem ipsum '.repeat(600)}`.trim(); // ~7 KB: over both limits once echoed
    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt } });
    expect(created.status).toBe(202);
    const id: string = created.json.id;

    const pending = await record(id);
    expect(pending.input).toBeUndefined();
    expect(pending.inputRef).toMatchObject({ key: `inputs/${id}/input.json`, bytes: JSON.stringify({ prompt }).length });
    const head = await h.infra.s3.send(new HeadObjectCommand({ Bucket: h.infra.bucket, Key: pending.inputRef.key }));
    expect(head.ContentLength).toBe(pending.inputRef.bytes);

    const model = new ScriptedModel();
    await h.drainJobs(h.worker(model));
    expect(model.requests[0]?.prompt).toBe(prompt);

    const done = await record(id);
    expect(done).toMatchObject({ status: 'COMPLETED', resultRef: { key: `results/${id}/0.json` } });
    expect(done.result).toBeUndefined();
    expect(JSON.stringify(done).length).toBeLessThan(1500);

    const job = await user.job(id);
    expect(job.result).toMatchObject({ output: `reply #1 to: ${prompt}` });
    expect(Buffer.byteLength(JSON.stringify(job.result))).toBeGreaterThan(INLINE_LIMITS.resultBytes);
    const result = await user.result(id);
    expect(result.json).toEqual({ id, status: 'COMPLETED', result: job.result });

    const listed = await user.list();
    expect(listed.json.items).toEqual([{ ...job, result: null, resultOmitted: true }]);
  });

  it('keep small ones in the record, with no object stored', async () => {
    const user = h.newUser();
    const job = await user.createPreview('A short prompt');
    await h.drainJobs(h.worker(new ScriptedModel()));
    const stored = await record(job.id);
    expect(stored).toMatchObject({ input: { prompt: 'A short prompt' }, result: { output: 'reply #1 to: A short prompt' } });
    expect(stored.inputRef).toBeUndefined();
    expect(stored.resultRef).toBeUndefined();
    expect((await user.list()).json.items[0]).not.toHaveProperty('resultOmitted');
  });

  it('chain: a job reads a source result stored as an object', async () => {
    const user = h.newUser();
    const text = `# Plan\n\n${'The harvest may be late. '.repeat(400)}`;
    const parse = await user.create({ type: 'PARSE_DOCUMENT', input: { text } });
    const model = new ScriptedModel();
    const sections = Array.from({ length: 40 }, (_, n) => ({ heading: `Section ${n}`, text: 'words '.repeat(40) }));
    model.structuredValue = (request) =>
      request.tool.name === 'record_document_structure' ? { title: 'Plan', summary: 'A plan.', sections } : { risks: [] };
    await h.drainJobs(h.worker(model));
    expect((await record(parse.json.id)).resultRef).toBeDefined();

    const risk = await user.create({ type: 'RISK_ANALYSIS', input: { sourceJobIds: [parse.json.id] } });
    expect(risk.status).toBe(202);
    await h.drainJobs(h.worker(model));
    expect((await user.job(risk.json.id)).status).toBe('COMPLETED');
    const sources = new TextDecoder().decode((model.requests.at(-1) as StructuredRequest).documents![0]!.bytes);
    expect(sources).toContain('Section 39');
  });
});

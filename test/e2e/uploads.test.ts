/**
 * End to end, through `npm run dev` over HTTP: documents uploaded with presigned URLs (plain
 * HTTP PUT to the local S3 engine, no AWS credentials) and parsed; uploads refused at create;
 * results too large for the job record returned whole; a chain on a large result; and a restart
 * of the server that loses none of the stored payloads.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES } from '../../lambdas/domain/bedrock-limits.ts';
import { nonce, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';
import { minimalPdf } from '../support/pdf.ts';

const MB = 1024 * 1024;
const MAX_BYTES = MAX_DOCUMENT_BYTES;
const RUN = nonce();
const USERS = ['uploader', 'stranger', 'big'] as const;
const username = (label: (typeof USERS)[number]) => `${label}-${RUN}`;

const dev = useDevServer({ label: 'jobs-e2e-uploads-', users: USERS.map(username) });

const clientOf = (label: (typeof USERS)[number]): Client => dev.client(username(label));

/** POST /api/uploads, then the PUT a browser or curl would make (no Authorization, no AWS keys). */
async function upload(client: Client, bytes: Buffer, contentType = 'application/pdf', announced = bytes.byteLength) {
  const ticket = await client.call('/api/uploads', { method: 'POST', body: { name: 'Harvest plan.pdf', contentType, size: announced } });
  expect(ticket.status, ticket.text).toBe(201);
  const { 'Content-Length': _length, ...headers } = ticket.json.headers as Record<string, string>;
  const put = await fetch(ticket.json.url, { method: ticket.json.method, headers, body: bytes });
  expect(put.status, await put.text()).toBe(200);
  return ticket.json as { uploadId: string; url: string; method: string; headers: Record<string, string>; expiresAt: string; maxBytes: number };
}

async function completed(client: Client, id: string): Promise<any> {
  const job = await client.waitForFinish(id, 30_000);
  expect(job, `job ${id}`).toMatchObject({ status: 'COMPLETED', error: null });
  return job;
}

describe('document uploads', () => {
  it('uploads a 3 MB PDF with a presigned PUT on loopback and parses it to COMPLETED', async () => {
    const user = clientOf('uploader');
    const words = ['Quokka', 'harbour', `upload${RUN.replace(/[^a-z0-9]/g, '')}`];
    const pdf = minimalPdf(words.join(' '), { paddingBytes: 3 * MB });
    expect(pdf.byteLength).toBeGreaterThan(3 * MB);

    const ticket = await upload(user, pdf);
    expect(ticket).toMatchObject({ method: 'PUT', maxBytes: MAX_BYTES, headers: { 'Content-Type': 'application/pdf' } });
    expect(new URL(ticket.url).hostname).toBe('127.0.0.1');
    expect(Date.parse(ticket.expiresAt)).toBeGreaterThan(Date.now());

    // A web page on another origin may PUT there too: the preflight passes, as on the stack's bucket.
    const preflight = await fetch(ticket.url, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('PUT');

    const created = await user.create({ document: { uploadId: ticket.uploadId, format: 'pdf' } }, 'PARSE_DOCUMENT');
    expect(created.status, created.text).toBe(202);
    const job = await completed(user, created.json.id);
    // The stand-in quotes the document it was sent: the PDF's words came through S3 to the model.
    expect(JSON.stringify(job.result)).toContain(words[2]);
  });

  it("refuses a missing upload and another user's alike, with a 422 at input.document.uploadId", async () => {
    const theirs = await upload(clientOf('stranger'), minimalPdf('not yours'));
    const user = clientOf('uploader');
    const answers = [];
    for (const uploadId of [theirs.uploadId, `0b9e5a4c-6d2f-4f43-9a51-3f1e2d7c8b90.${theirs.uploadId.split('.')[1]}`]) {
      const answer = await user.create({ document: { uploadId, format: 'pdf' } }, 'PARSE_DOCUMENT');
      expect(answer.status).toBe(422);
      expect(answer.json.errors).toHaveLength(1);
      expect(answer.json.errors[0].path).toBe('input.document.uploadId');
      answers.push(answer.json.errors[0].message.replace(uploadId, '<id>'));
    }
    expect(answers[0]).toBe(answers[1]);
  });

  it('refuses an upload over 4.5 MB when it is asked for, and one bigger than announced when a job names it', async () => {
    const user = clientOf('big');
    const tooBig = await user.call('/api/uploads', { method: 'POST', body: { name: 'big.pdf', contentType: 'application/pdf', size: MAX_BYTES + 1 } });
    expect(tooBig.status).toBe(422);
    expect(tooBig.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'size', message: expect.stringContaining('4718592') }] });

    // S3 refuses a PUT of another size than the signed one; the local engine does not, so the create checks.
    const pdf = minimalPdf('a little more than announced', { paddingBytes: 2000 });
    const ticket = await upload(user, pdf, 'application/pdf', pdf.byteLength - 100);
    const answer = await user.create({ document: { uploadId: ticket.uploadId, format: 'pdf' } }, 'PARSE_DOCUMENT');
    expect(answer.status).toBe(422);
    expect(answer.json.errors).toEqual([{ path: 'input.document.uploadId', message: expect.stringContaining('announced') }]);
  });
});

describe('results larger than the job record keeps', () => {
  let bigId: string;
  let big: any;

  it('are returned whole by GET and /result, and left out of lists', async () => {
    const user = clientOf('uploader');
    const created = await user.create({ prompt: `A long answer please ${RUN} [[words:3000]]`, maxTokens: 4096 });
    expect(created.status).toBe(202);
    bigId = created.json.id;
    big = await completed(user, bigId);
    expect(Buffer.byteLength(JSON.stringify(big.result))).toBeGreaterThan(16_000);
    expect(big.result.output).toContain('#3000');
    expect((await user.result(bigId)).json).toEqual({ id: bigId, status: 'COMPLETED', result: big.result });
    const listed = (await user.allJobs()).find((job) => job.id === bigId);
    expect(listed).toEqual({ ...big, result: null, resultOmitted: true });
  });

  it('feed a chained job: RISK_ANALYSIS reads the large result as its source', async () => {
    const user = clientOf('uploader');
    const created = await user.create({ sourceJobIds: [bigId] }, 'RISK_ANALYSIS');
    expect(created.status, created.text).toBe(202);
    const job = await completed(user, created.json.id);
    expect(job.result.metadata.usage.inputTokens).toBeGreaterThan(3000);
  });

  it('survive a restart of the server, as do uploads not yet used', async () => {
    const user = clientOf('uploader');
    const pending = await upload(user, minimalPdf(`after the restart ${RUN}`));
    const crashed = await dev.server.kill();
    expect(crashed.signal).toBe('SIGKILL');
    await dev.restart();
    const again = clientOf('uploader');
    expect(await again.job(bigId)).toEqual(big);
    expect((await again.result(bigId)).json.result).toEqual(big.result);
    const created = await again.create({ document: { uploadId: pending.uploadId, format: 'pdf' } }, 'PARSE_DOCUMENT');
    expect(created.status, created.text).toBe(202);
    expect(JSON.stringify((await completed(again, created.json.id)).result)).toContain('restart');
  }, 60_000);
});

/**
 * The "new job" form, built from each job type's input schema (job-types.json): text areas for
 * long strings, number inputs with their bounds, selects for enums, one-per-line lists, and a
 * file picker for a type that takes an uploaded document (POST /api/uploads, then the presigned PUT).
 */
import type { CreateJobRequest, JobsClient } from '../../client/index.ts';
import type { JobTypeCatalogue, JobTypeEntry, JsonSchema } from './catalogue.ts';
import { clear, h, humanize } from './dom.ts';

const LONG_TEXT = new Set(['prompt', 'system', 'text', 'instructions', 'question']);

/** Reads one field's value into the input; undefined leaves it out. */
type FieldReader = () => Promise<unknown>;

export function jobForm(catalogue: JobTypeCatalogue, client: () => JobsClient, onCreated: (id: string) => void, report: (message: string, error?: unknown) => void) {
  const typeSelect = h('select', { id: 'job-type', name: 'type' }, ...catalogue.types.map((type) => h('option', { value: type.name }, humanize(type.name))));
  const prioritySelect = h(
    'select',
    { id: 'job-priority', name: 'priority' },
    ...catalogue.priorities.map((priority) => h('option', { value: priority, selected: priority === 'normal' }, humanize(priority))),
  );
  const description = h('p', { class: 'hint', id: 'job-type-description' });
  const fields = h('div', { class: 'fields' });
  const submit = h('button', { type: 'submit' }, 'Create job');
  let readers: [string, FieldReader][] = [];

  const showType = () => {
    const type = catalogue.types.find((candidate) => candidate.name === typeSelect.value)!;
    description.textContent = type.description;
    clear(fields);
    readers = Object.entries(type.input.properties ?? {}).map(([name, schema]) => {
      const { element, read } = field(type, name, schema, catalogue, client);
      fields.append(element);
      return [name, read];
    });
  };
  typeSelect.addEventListener('change', showType);

  const form = h(
    'form',
    { id: 'new-job', 'aria-labelledby': 'new-job-title' },
    h('h2', { id: 'new-job-title' }, 'New job'),
    h('div', { class: 'row' }, h('label', { for: 'job-type' }, 'Type'), typeSelect),
    description,
    fields,
    h('div', { class: 'row' }, h('label', { for: 'job-priority' }, 'Priority'), prioritySelect),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    void (async () => {
      try {
        const input: Record<string, unknown> = {};
        for (const [name, read] of readers) {
          const value = await read();
          if (value !== undefined) input[name] = value;
        }
        const request = { type: typeSelect.value, input, priority: prioritySelect.value } as CreateJobRequest;
        const { job } = await client().createJob(request, { idempotencyKey: crypto.randomUUID() });
        report(`Created ${humanize(job.type)} job ${job.id.slice(0, 8)}`);
        onCreated(job.id);
      } catch (error) {
        report('The job was not created', error);
      } finally {
        submit.disabled = false;
      }
    })();
  });
  showType();
  return form;
}

function field(type: JobTypeEntry, name: string, schema: JsonSchema, catalogue: JobTypeCatalogue, client: () => JobsClient): { element: HTMLElement; read: FieldReader } {
  const id = `field-${type.name}-${name}`;
  const required = type.input.required?.includes(name) ?? false;
  const label = h('label', { for: id }, humanize(name), required ? ' (required)' : ' (optional)');
  const row = (control: HTMLElement, hint?: string) =>
    h('div', { class: 'row' }, label, control, hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null);

  if (schema.type === 'object' && schema.properties?.uploadId) {
    const formats = schema.properties.format?.enum?.map(String) ?? Object.keys(catalogue.documentContentTypes);
    const input = h('input', { id, name, type: 'file', accept: formats.map((format) => `.${format}`).join(','), 'aria-describedby': `${id}-hint` });
    return {
      element: row(input, `A document (${formats.join(', ')}), uploaded first, then named by the job.`),
      read: async () => {
        const file = input.files?.[0];
        if (!file) return undefined;
        const format = file.name.split('.').pop()?.toLowerCase() ?? '';
        const contentType = catalogue.documentContentTypes[format];
        if (!contentType) throw new Error(`${file.name}: the formats are ${formats.join(', ')}`);
        const uploadId = await client().uploadDocument(new Blob([file], { type: contentType }), file.name);
        return { uploadId, format };
      },
    };
  }
  if (schema.enum) {
    const select = h('select', { id, name }, required ? null : h('option', { value: '' }, '–'), ...schema.enum.map((value) => h('option', { value: String(value) }, String(value))));
    return { element: row(select), read: async () => (select.value === '' ? undefined : select.value) };
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const input = h('input', { id, name, type: 'number', inputmode: 'numeric', min: schema.minimum, max: schema.maximum, step: schema.type === 'integer' ? 1 : 'any', required });
    return { element: row(input), read: async () => (input.value === '' ? undefined : Number(input.value)) };
  }
  if (schema.type === 'array') {
    const area = h('textarea', { id, name, rows: 3, 'aria-describedby': `${id}-hint`, required });
    const read = async () => {
      const items = area.value.split('\n').map((line) => line.trim()).filter(Boolean);
      return items.length === 0 ? undefined : items;
    };
    return { element: row(area, name === 'sourceJobIds' ? 'Job ids, one per line (your COMPLETED jobs).' : 'One per line.'), read };
  }
  if (schema.type === 'string') {
    const long = LONG_TEXT.has(name) || (schema.maxLength ?? 0) > 200;
    const control = long
      ? h('textarea', { id, name, rows: name === 'text' || name === 'prompt' ? 4 : 2, maxlength: schema.maxLength, required })
      : h('input', { id, name, type: 'text', maxlength: schema.maxLength, required });
    return { element: row(control), read: async () => (control.value.trim() === '' ? undefined : control.value) };
  }
  const area = h('textarea', { id, name, rows: 3, 'aria-describedby': `${id}-hint` });
  return { element: row(area, 'JSON'), read: async () => (area.value.trim() === '' ? undefined : JSON.parse(area.value)) };
}

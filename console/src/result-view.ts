/**
 * A job's result, readable: Markdown text (a report's `markdown`, a preview's `output`) rendered
 * safely, lists of records as tables, other values as key/value lists, and the raw JSON one click
 * away (a <details> element).
 */
import { h, humanize } from './dom.ts';
import { renderMarkdown } from './markdown.ts';

/** Fields whose text is Markdown. */
const MARKDOWN_FIELDS = new Set(['markdown', 'output', 'summary']);

type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export function renderResult(result: Record<string, unknown>): HTMLElement {
  return h(
    'div',
    { class: 'result' },
    renderObject(result as Record<string, Value>),
    h('details', { class: 'raw' }, h('summary', {}, 'Raw JSON'), h('pre', {}, h('code', {}, JSON.stringify(result, null, 2)))),
  );
}

function renderObject(object: Record<string, Value>): HTMLElement {
  const list = h('dl');
  for (const [key, value] of Object.entries(object)) {
    list.append(h('dt', {}, humanize(key)), h('dd', {}, renderValue(key, value)));
  }
  return list;
}

function renderValue(key: string, value: Value): Node {
  if (typeof value === 'string') {
    return MARKDOWN_FIELDS.has(key) ? h('div', { class: 'markdown' }, renderMarkdown(value)) : document.createTextNode(value);
  }
  if (value === null || typeof value !== 'object') return document.createTextNode(value === null ? '–' : String(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return document.createTextNode('none');
    if (value.every((item) => item !== null && typeof item === 'object' && !Array.isArray(item))) return renderTable(key, value as Record<string, Value>[]);
    return h('ul', {}, ...value.map((item) => h('li', {}, renderValue(key, item))));
  }
  return renderObject(value);
}

function renderTable(key: string, rows: readonly Record<string, Value>[]): HTMLElement {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: Value | undefined) =>
    value === undefined || value === null ? '–' : typeof value === 'object' ? (Array.isArray(value) && value.every((v) => typeof v !== 'object') ? value.join(', ') : JSON.stringify(value)) : String(value);
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      {},
      h('caption', {}, `${humanize(key)} (${rows.length})`),
      h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, humanize(column))))),
      h('tbody', {}, ...rows.map((row) => h('tr', {}, ...columns.map((column) => h('td', {}, cell(row[column])))))),
    ),
  );
}

import { describe, expect, it } from 'vitest';
import { documentText } from '../../../../lib/local/bedrock-stand-in.ts';
import { minimalPdf } from '../../../support/pdf.ts';

describe('documentText', () => {
  it('decodes text formats as UTF-8 and strips html', () => {
    expect(documentText('csv', new TextEncoder().encode('a,b\n1,"é"'))).toBe('a,b\n1,"é"');
    expect(documentText('html', new TextEncoder().encode('<style>p{}</style><p>A&lt;B &#x263A; &#65;</p>')).trim()).toBe('A<B ☺ A');
  });

  it('reads Tj, TJ (with word gaps), escapes and octal codes from uncompressed PDF streams', () => {
    const content = 'BT (Hello\\051 \\(world\\)) Tj [(Kern) -20 (ed) -300 (words)] TJ <48692E> Tj (caf\\351) Tj ET';
    const pdf = `%PDF-1.4\n4 0 obj\n<< /Length ${content.length} >>\nstream\n${content}\nendstream\nendobj\n%%EOF`;
    expect(documentText('pdf', Buffer.from(pdf, 'latin1'))).toBe('Hello) (world) Kerned words Hi. café');
  });

  it('falls back to a size for compressed PDFs, non-PDF bytes and binary formats', () => {
    const compressed = minimalPdf('hidden', { compressed: true });
    expect(documentText('pdf', compressed)).toBe(`[pdf, ${compressed.length} bytes]`);
    expect(documentText('pdf', new Uint8Array(10))).toBe('[pdf, 10 bytes]');
    expect(documentText('docx', new Uint8Array(7))).toBe('[docx, 7 bytes]');
  });
});

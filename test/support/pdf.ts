import { deflateSync } from 'node:zlib';

/**
 * A minimal valid PDF showing one line of text (uncompressed, so the Bedrock stand-in reads it;
 * `compressed`: its content stream deflated, which the stand-in cannot read), optionally padded
 * with an unreferenced stream of `paddingBytes` to make a large file.
 */
export function minimalPdf(line: string, options: { readonly paddingBytes?: number; readonly compressed?: boolean } = {}): Buffer {
  const text = `BT\n/F1 18 Tf\n72 720 Td\n(${line.replace(/[\\()]/g, (char) => `\\${char}`)}) Tj\nET`;
  const content = options.compressed ? deflateSync(Buffer.from(text, 'latin1')).toString('latin1') : text;
  const filter = options.compressed ? ' /Filter /FlateDecode' : '';
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')}${filter} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  if (options.paddingBytes) {
    // Binary-looking bytes that hold no text operators.
    objects.push(`<< /Length ${options.paddingBytes} >>\nstream\n${'\u00b7'.repeat(options.paddingBytes)}\nendstream`);
  }
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

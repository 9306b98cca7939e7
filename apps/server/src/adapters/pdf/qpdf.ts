import { open, stat } from 'node:fs/promises';
import { PdfError } from './errors.js';
import type { PdfLimits } from './limits.js';
import { firstLine } from './render.js';
import { runTool } from './run-tool.js';

export interface StructureCheck {
  readonly sizeBytes: number;
  /** Encrypted with an empty user password (owner restrictions only): readable. */
  readonly ownerPasswordOnly: boolean;
  /** qpdf repaired something (exit 3); the file is readable. */
  readonly warnings: readonly string[];
}

/**
 * Checks a PDF file before anything parses its content: size, header, a final
 * `%%EOF` (a truncated upload lacks it), encryption (a user password makes it
 * unreadable) and qpdf's structural check. Throws `PdfError` with a clear code.
 */
export async function checkPdfStructure(pdfPath: string, limits: PdfLimits): Promise<StructureCheck> {
  const { size } = await stat(pdfPath);
  if (size === 0) throw new PdfError('empty', 'the PDF is empty (0 bytes)');
  if (size > limits.maxBytes) throw new PdfError('too_large', `the PDF has ${size} bytes; the limit is ${limits.maxBytes}`);
  const handle = await open(pdfPath, 'r');
  let head: Buffer;
  let tail: Buffer;
  try {
    head = Buffer.alloc(Math.min(1024, size));
    await handle.read(head, 0, head.length, 0);
    tail = Buffer.alloc(Math.min(2048, size));
    await handle.read(tail, 0, tail.length, size - tail.length);
  } finally {
    await handle.close();
  }
  if (!head.toString('latin1').includes('%PDF-')) throw new PdfError('malformed', 'the file has no PDF header');
  if (!tail.toString('latin1').includes('%%EOF')) throw new PdfError('malformed', 'the PDF is truncated (no end-of-file marker)');

  // --requires-password exits 0: a password is needed; 3: encrypted but opens without one; 2: not encrypted.
  const encryption = await runTool('qpdf', ['--requires-password', pdfPath], { timeoutMs: limits.toolTimeoutMs, maxStdoutBytes: 1024 * 1024 });
  if (encryption.code === 0) throw new PdfError('encrypted', 'the PDF needs a password to open');
  if (encryption.code !== 2 && encryption.code !== 3) throw new PdfError('malformed', `qpdf cannot open the PDF: ${firstLine(encryption.stderr)}`);
  const ownerPasswordOnly = encryption.code === 3;

  const check = await runTool('qpdf', ['--check', pdfPath], { timeoutMs: limits.toolTimeoutMs, maxStdoutBytes: 8 * 1024 * 1024 });
  if (check.code === 2) throw new PdfError('malformed', `the PDF structure is broken: ${firstLine(check.stderr || check.stdout.toString('utf8'))}`);
  if (check.code !== 0 && check.code !== 3) throw new PdfError('tool_failed', `qpdf --check exited ${check.code}`);
  const warnings = check.code === 3 ? check.stderr.split('\n').filter((l) => l.trim() !== '').slice(0, 20).map((l) => l.replace(pdfPath, '<pdf>')) : [];
  return { sizeBytes: size, ownerPasswordOnly, warnings };
}

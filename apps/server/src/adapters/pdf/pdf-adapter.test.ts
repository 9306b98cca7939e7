import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { degrees, PDFDocument, StandardFonts } from 'pdf-lib';
import {
  assembleImagePdf,
  boxOfRange,
  checkPdfStructure,
  extractTextLayer,
  inspectPdfParts,
  jpegMetadataText,
  ocrImage,
  parseTsv,
  PdfError,
  pdfLimits,
  renderDpiFor,
  renderPage,
  runTool,
} from './index.js';

const OCR = { languages: 'deu+eng', tessdataPrefix: '/usr/share/tesseract-ocr/5/tessdata', timeoutMs: 120_000 };
const limits = pdfLimits();

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lx-pdf-adapter-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function textPdf(name: string, draw: (doc: PDFDocument) => Promise<void>): Promise<string> {
  const doc = await PDFDocument.create();
  await draw(doc);
  const path = join(dir, name);
  writeFileSync(path, await doc.save());
  return path;
}

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (e: unknown) => e instanceof PdfError && e.code === code && e.detailDe.length > 10);

describe('limits', () => {
  test('large pages render at a lower DPI; absurd pages are refused', () => {
    const a4 = { widthPt: 595, heightPt: 842 };
    assert.equal(renderDpiFor(1, a4, 200, limits), 200);
    const poster = { widthPt: 3370, heightPt: 2384 };
    const dpi = renderDpiFor(1, poster, 300, limits);
    assert.ok(dpi < 300 && dpi >= limits.minDpi);
    assert.ok(Math.ceil((poster.widthPt / 72) * dpi) * Math.ceil((poster.heightPt / 72) * dpi) <= limits.maxPixelsPerPage);
    assert.throws(() => renderDpiFor(1, { widthPt: 14_000, heightPt: 14_000 }, 200, limits), (e: unknown) => e instanceof PdfError && e.code === 'page_too_large');
    assert.throws(() => renderDpiFor(1, { widthPt: 20_000, heightPt: 100 }, 200, limits), (e: unknown) => e instanceof PdfError && e.code === 'page_too_large');
  });

  test('a tool that hangs is killed at its timeout', async () => {
    const started = Date.now();
    await assert.rejects(runTool('sleep', ['5'], { timeoutMs: 200 }), (e: unknown) => e instanceof PdfError && e.code === 'timeout');
    assert.ok(Date.now() - started < 3000);
  });
});

describe('text layer', () => {
  test('runs carry their position on the displayed page; sub-ranges get boxes', async () => {
    const path = await textPdf('pos.pdf', async (doc) => {
      const font = await doc.embedFont(StandardFonts.Helvetica);
      doc.addPage([595, 842]).drawText('Patient: Mustermann, Erika', { x: 100, y: 700, size: 12, font });
    });
    const layer = await extractTextLayer(readFileSync(path), limits);
    const page = layer.pages[0];
    assert.ok(page);
    assert.equal(page.text, 'Patient: Mustermann, Erika');
    const run = page.runs[0];
    assert.ok(run);
    assert.ok(Math.abs(run.origin[0] - 100) < 0.01 && Math.abs(run.origin[1] - (842 - 700)) < 0.01, 'top-left origin');
    const font = await (await PDFDocument.create()).embedFont(StandardFonts.Helvetica);
    const startX = 100 + font.widthOfTextAtSize('Patient: ', 12);
    const endX = 100 + font.widthOfTextAtSize('Patient: Mustermann', 12);
    const box = boxOfRange(run, 9, 19);
    assert.ok(box.x <= startX + 1 && box.x >= startX - 8, `box starts near the word (${box.x} vs ${startX})`);
    assert.ok(box.x + box.width >= endX - 1 && box.x + box.width <= endX + 8, `box ends near the word (${box.x + box.width} vs ${endX})`);
    assert.ok(box.y < 842 - 700 - 8 && box.y + box.height > 842 - 700, 'box covers the glyph height above the baseline');
  });

  test('rotated pages report displayed geometry', async () => {
    const path = await textPdf('rot.pdf', async (doc) => {
      const font = await doc.embedFont(StandardFonts.Helvetica);
      const page = doc.addPage([595, 842]);
      page.setRotation(degrees(90));
      page.drawText('Gedreht', { x: 100, y: 700, size: 12, font });
    });
    const layer = await extractTextLayer(readFileSync(path), limits);
    assert.equal(layer.pages[0]?.widthPt, 842);
    assert.equal(layer.pages[0]?.heightPt, 595);
    const box = boxOfRange(layer.pages[0]!.runs[0]!, 0, 7);
    assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 842 && box.y + box.height <= 595);
    assert.ok(box.height > box.width, 'the word runs vertically on the displayed page');
  });
});

describe('bad input is refused clearly and quickly', () => {
  test('empty, not a PDF, truncated, malformed', async () => {
    const empty = join(dir, 'empty.pdf');
    writeFileSync(empty, '');
    await rejectsWith(checkPdfStructure(empty, limits), 'empty');
    const notPdf = join(dir, 'not.pdf');
    writeFileSync(notPdf, 'Dies ist kein PDF.\n%%EOF\n');
    await rejectsWith(checkPdfStructure(notPdf, limits), 'malformed');
    const good = await textPdf('good.pdf', async (doc) => {
      doc.addPage().drawText('Hallo');
    });
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.pdf');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await rejectsWith(checkPdfStructure(truncated, limits), 'malformed');
    const garbage = join(dir, 'garbage.pdf');
    writeFileSync(garbage, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2000, 0x41), Buffer.from('\n%%EOF\n')]));
    await rejectsWith(checkPdfStructure(garbage, limits), 'malformed');
    await rejectsWith(extractTextLayer(readFileSync(garbage), limits), 'malformed');
    await rejectsWith(extractTextLayer(new Uint8Array(), limits), 'empty');
  });

  test('a user password is refused; owner-only restrictions are readable', async () => {
    const plain = await textPdf('plain.pdf', async (doc) => {
      doc.addPage().drawText('Vertraulich');
    });
    const locked = join(dir, 'locked.pdf');
    const ownerOnly = join(dir, 'owner-only.pdf');
    assert.equal(spawnSync('qpdf', ['--encrypt', 'user-pw', 'owner-pw', '256', '--', plain, locked]).status, 0);
    assert.equal(spawnSync('qpdf', ['--encrypt', '', 'owner-pw', '256', '--print=none', '--', plain, ownerOnly]).status, 0);
    await rejectsWith(checkPdfStructure(locked, limits), 'encrypted');
    await rejectsWith(extractTextLayer(readFileSync(locked), limits), 'encrypted');
    await rejectsWith(inspectPdfParts(readFileSync(locked)), 'encrypted');
    assert.equal((await checkPdfStructure(ownerOnly, limits)).ownerPasswordOnly, true);
    assert.equal((await extractTextLayer(readFileSync(ownerOnly), limits)).pages[0]?.text, 'Vertraulich');
  });

  test('a page-count bomb and a page-size bomb stop before any page is parsed or rendered', async () => {
    const many = await textPdf('many.pdf', async (doc) => {
      for (let i = 0; i < 1000; i += 1) doc.addPage([200, 200]);
    });
    const started = Date.now();
    await rejectsWith(extractTextLayer(readFileSync(many), limits), 'too_many_pages');
    assert.ok(Date.now() - started < 10_000);
    const huge = await textPdf('huge.pdf', async (doc) => {
      doc.addPage([50_000, 50_000]).drawText('groß');
    });
    await rejectsWith(extractTextLayer(readFileSync(huge), limits), 'page_too_large');
    const tooBigFile = join(dir, 'big.pdf');
    writeFileSync(tooBigFile, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4096), Buffer.from('%%EOF')]));
    await rejectsWith(checkPdfStructure(tooBigFile, pdfLimits({ maxBytes: 1024 })), 'too_large');
  });
});

describe('rendering, OCR and assembly', () => {
  test('a rendered page is OCRed back into its words; assembly keeps a text layer and nothing else', async () => {
    const path = await textPdf('ocr.pdf', async (doc) => {
      const font = await doc.embedFont(StandardFonts.Helvetica);
      doc.setTitle('Befund Mustermann');
      doc.addPage([595, 842]).drawText('Untersuchung der Patientin Mustermann', { x: 60, y: 760, size: 16, font });
    });
    const raster = await renderPage(path, 1, { widthPt: 595, heightPt: 842 }, 150, limits);
    assert.equal(raster.widthPx, Math.ceil((595 / 72) * 150));
    const ocr = await ocrImage(raster.ppm, raster.dpi, OCR);
    assert.match(ocr.text, /Mustermann/);
    const word = ocr.words.find((w) => w.text.includes('Mustermann'));
    assert.ok(word && word.top < 200 && word.left > 100, 'word positions are pixels from the top left');
    const offset = ocr.wordOffsets[ocr.words.indexOf(word)];
    assert.equal(ocr.text.slice(offset?.[0], offset?.[1]), word.text);

    const textOnly = spawnSync('tesseract', ['stdin', 'stdout', '-l', 'deu+eng', '--dpi', '150', '-c', 'textonly_pdf=1', 'pdf'], { input: raster.ppm, env: { PATH: '/usr/bin:/bin', OMP_THREAD_LIMIT: '1' }, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(textOnly.status, 0);
    const { default: sharp } = await import('sharp');
    const jpeg = await sharp(raster.ppm.subarray(raster.pixelOffset), { raw: { width: raster.widthPx, height: raster.heightPx, channels: 3 } }).jpeg().toBuffer();
    const assembled = await assembleImagePdf([{ jpeg, textPdf: textOnly.stdout, widthPt: 595, heightPt: 842 }]);
    const layer = await extractTextLayer(assembled, limits);
    assert.match(layer.pages[0]?.text ?? '', /Mustermann/, 'the OCR text layer is searchable');
    const parts = await inspectPdfParts(assembled);
    assert.deepEqual(parts.parts.filter((p) => p.location === 'info').map((p) => p.text), ['lx-annotate']);
    assert.equal(parts.counts.xmp + parts.counts.annotations + parts.counts.attachments + parts.counts.formFields + parts.counts.javascript, 0);
  });

  test('TSV parsing keeps lines and offsets; JPEG comments are read', () => {
    const tsv = ['level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext', '5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t96\tHallo', '5\t1\t1\t1\t1\t2\t50\t20\t30\t12\t95\tWelt', '5\t1\t1\t1\t2\t1\t10\t40\t30\t12\t90\tZwei'].join('\n');
    const parsed = parseTsv(tsv);
    assert.equal(parsed.text, 'Hallo Welt\nZwei');
    assert.deepEqual(parsed.wordOffsets, [[0, 5], [6, 10], [11, 15]]);
    const comment = Buffer.from('Patient Mustermann');
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xfe]), Buffer.from([0, comment.length + 2]), comment, Buffer.from([0xff, 0xda, 0, 2])]);
    assert.match(jpegMetadataText(jpeg), /Mustermann/);
  });
});

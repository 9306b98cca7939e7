import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PDFDocument, rgb } from 'pdf-lib';
import sharp from 'sharp';
import { boxOfRange, extractTextLayer, inspectPdfParts, PdfError, pdfLimits } from '../../src/adapters/pdf/index.js';
import { Secret } from '../../src/config/index.js';
import { Invalid } from '../../src/shared/errors.js';
import { demoReportIdentifiers, writeDemoReportPdf, writeScannedCopy } from '../../src/demo/demo-report-pdf.js';
import {
  anonymizeReportPdf,
  applyPdfRedactions,
  IdentifierMatcher,
  knownIdentifiersOf,
  mergeHits,
  recordForFailure,
  runPdfReleaseGate,
  textPseudonyms,
  type ReportPdfContext,
} from '../../src/features/anonymization/index.js';

/**
 * Proof for the report-PDF core: the demo report's identities are extracted,
 * and after TRUE redaction neither the text layer, nor any metadata, nor OCR
 * of the pages, nor the decompressed file bytes carry any of them; a PDF that
 * only paints boxes over the text is caught by the release gate.
 */
const DEMO = demoReportIdentifiers();
const KNOWN = knownIdentifiersOf(DEMO);
const matcher = new IdentifierMatcher(KNOWN);
const fieldsIn = (text: string): string[] => [...new Set(matcher.find(text).map((h) => h.field))].sort();

let dir: string;
let context: ReportPdfContext;
let demoPdf: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lx-pdf-proof-'));
  context = {
    limits: pdfLimits(),
    ocr: { languages: 'deu+eng', tessdataPrefix: '/usr/share/tesseract-ocr/5/tessdata', timeoutMs: 120_000 },
    workDir: dir,
    centerName: 'university_hospital_wuerzburg',
    salt: new Secret('proof-salt'),
  };
  demoPdf = join(dir, 'demo-report.pdf');
  await writeDemoReportPdf(demoPdf);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const tool = (command: string, args: string[], input?: Buffer): string => {
  const run = spawnSync(command, args, { input, maxBuffer: 256 * 1024 * 1024, env: { PATH: '/usr/bin:/bin', OMP_THREAD_LIMIT: '1' } });
  assert.equal(run.status, 0, `${command} failed: ${run.stderr?.toString()}`);
  return run.stdout.toString('utf8');
};

/** Everything independent tools can read out of a PDF: pdftotext, pdfinfo, OCR of every page, decompressed bytes. */
function independentReadings(pdf: string, options: { ocrPages?: number } = {}): Record<string, string> {
  const pages = Math.min(options.ocrPages ?? Infinity, Number(/Pages:\s+(\d+)/.exec(tool('pdfinfo', [pdf]))?.[1]));
  const ocr: string[] = [];
  for (let page = 1; page <= pages; page += 1) {
    const ppm = spawnSync('pdftoppm', ['-r', '300', '-f', String(page), '-l', String(page), '-singlefile', pdf], { maxBuffer: 512 * 1024 * 1024 }).stdout;
    ocr.push(tool('tesseract', ['stdin', 'stdout', '-l', 'deu+eng'], ppm));
  }
  const qdf = join(dir, `qdf-${createHash('sha1').update(pdf).digest('hex')}.pdf`);
  tool('qpdf', ['--qdf', '--object-streams=disable', '--decode-level=all', pdf, qdf]);
  const raw = readFileSync(qdf);
  return {
    pdftotext: tool('pdftotext', ['-enc', 'UTF-8', pdf, '-']),
    pdfinfo: tool('pdfinfo', ['-enc', 'UTF-8', pdf]),
    xmp: tool('pdfinfo', ['-enc', 'UTF-8', '-meta', pdf]),
    ocr: ocr.join('\n'),
    bytesUtf8: raw.toString('utf8'),
    bytesLatin1: raw.toString('latin1'),
    bytesUtf16be: Buffer.from(raw.subarray(0, raw.length - (raw.length % 2))).swap16().toString('utf16le'),
  };
}

describe('report PDF proof', () => {
  test('the demo report: identities extracted; the truly redacted output carries none of them anywhere', async () => {
    const original = independentReadings(demoPdf, { ocrPages: 0 });
    assert.deepEqual(fieldsIn(original.pdftotext ?? ''), ['casenumber', 'endoscope_sn', 'examination_date', 'examiner_first_name', 'examiner_last_name', 'patient_dob', 'patient_first_name', 'patient_last_name'], 'the source has them all (the checks can fail)');
    assert.ok(fieldsIn(original.pdfinfo ?? '').includes('patient_last_name'), 'the Info dictionary of the source names the patient');
    assert.ok(fieldsIn(original.xmp ?? '').includes('patient_last_name'), 'the XMP of the source names the patient');
    const sourceParts = await inspectPdfParts(readFileSync(demoPdf));
    const sourceLocations = new Set(sourceParts.parts.filter((p) => matcher.find(p.text).length > 0).map((p) => p.location));
    for (const location of ['info', 'xmp', 'annotation', 'attachment']) assert.ok(sourceLocations.has(location as never), `source ${location}`);

    const sourceHash = createHash('sha256').update(readFileSync(demoPdf)).digest('hex');
    const output = join(dir, 'demo-anonymized.pdf');
    const outcome = await anonymizeReportPdf({ sourcePath: demoPdf, outputPath: output }, context);

    const extracted = Object.fromEntries(Object.entries(outcome.extraction.fields).map(([k, v]) => [k, v.value]));
    for (const field of ['patient_first_name', 'patient_last_name', 'patient_dob', 'casenumber', 'examination_date', 'examiner_first_name', 'examiner_last_name', 'endoscope_sn'] as const) {
      assert.equal(extracted[field], DEMO[field], field);
    }
    assert.match(extracted.endoscope_type ?? '', /CF-HQ190L/);

    assert.equal(outcome.gate.status, 'passed', outcome.gate.reasons.join('; '));
    assert.equal(outcome.record.status, 'success');
    assert.ok(outcome.record.details.redaction && outcome.record.details.redaction.automaticBoxes >= 20);
    assert.equal(outcome.record.output_sha256, createHash('sha256').update(readFileSync(output)).digest('hex'));
    assert.doesNotMatch(JSON.stringify(outcome.record), /Müller|Lüdenscheidt|Jürgen|Östreicher|004711|2845117|03\.07\.1958/, 'the history record carries no identifier');

    const readings = independentReadings(output);
    for (const [where, text] of Object.entries(readings)) assert.deepEqual(fieldsIn(text), [], `identifiers left in ${where}`);
    assert.match(readings.ocr ?? '', /Koloskopie-Befundbericht/, 'the report itself is still readable');
    assert.match(readings.pdftotext ?? '', /Darmvorbereitung/, 'and searchable');
    const parts = await inspectPdfParts(readFileSync(output));
    assert.equal(parts.counts.xmp + parts.counts.annotations + parts.counts.attachments + parts.counts.formFields + parts.counts.outlines + parts.counts.javascript, 0);
    assert.deepEqual(parts.parts.filter((p) => matcher.find(p.text).length > 0), []);

    assert.deepEqual(fieldsIn(outcome.anonymizedText), [], 'anonymized_text');
    const pseudonyms = textPseudonyms(DEMO, context.centerName, 'proof-salt');
    assert.ok(outcome.anonymizedText.includes(`${pseudonyms.patient_last_name}, ${pseudonyms.patient_first_name}`), 'names replaced by the pseudonyms');
    assert.equal(createHash('sha256').update(readFileSync(demoPdf)).digest('hex'), sourceHash, 'the original is untouched');
  });

  test('a PDF with black boxes drawn over the identifiers, text left under them, is blocked by the release gate', async () => {
    const doc = await PDFDocument.load(readFileSync(demoPdf));
    const layer = await extractTextLayer(readFileSync(demoPdf), context.limits);
    for (const page of layer.pages) {
      const pdfPage = doc.getPage(page.pageNumber - 1);
      for (const hit of mergeHits(matcher.find(page.text))) {
        page.runOffsets.forEach(([start, end], index) => {
          if (start >= hit.end || hit.start >= end) return;
          const box = boxOfRange(page.runs[index]!, Math.max(0, hit.start - start), Math.min(end, hit.end) - start);
          pdfPage.drawRectangle({ x: box.x, y: page.heightPt - box.y - box.height, width: box.width, height: box.height, color: rgb(0, 0, 0) });
        });
      }
    }
    const painted = join(dir, 'painted-over.pdf');
    writeFileSync(painted, await doc.save());
    const ocrOfPainted = independentReadings(painted, { ocrPages: 1 }).ocr ?? '';
    assert.ok(!fieldsIn(ocrOfPainted).includes('patient_last_name'), 'it looks redacted: OCR cannot read the name');

    const gate = await runPdfReleaseGate(painted, KNOWN, context);
    assert.equal(gate.status, 'blocked');
    const places = new Set(gate.findings.map((f) => f.location.split(':')[0]));
    for (const place of ['text-layer', 'info', 'xmp', 'annotation', 'attachment']) assert.ok(places.has(place), `found via ${place}`);
    assert.ok(gate.findings.some((f) => f.field === 'patient_last_name' && f.location === 'text-layer:page-1'));
    assert.ok(gate.reasons.some((r) => /^Nachname gefunden: Textebene, Seite 1/.test(r)));
    assert.ok(gate.reasons.some((r) => /Dateianhang/.test(r)), 'an attachment blocks on its own');
    assert.doesNotMatch(JSON.stringify(gate), /Müller|Lüdenscheidt|Jürgen|Östreicher|004711|2845117|1958/, 'reasons name fields and places, never values');
  });

  test('apply-redactions: a box drawn by a person is burnt in; invalid boxes are refused before anything is written', async () => {
    const output = join(dir, 'corrected.pdf');
    // A person boxes the "Befund" paragraph of page 1 (its three lines, from the text layer).
    const page = (await extractTextLayer(readFileSync(demoPdf), context.limits)).pages[0]!;
    const lines = page.runs.filter((r) => /Darmvorbereitung|Colon sigmoideum ein|Schlinge\. Übriges/.test(r.text)).map((r) => boxOfRange(r, 0, r.text.length, 0));
    assert.equal(lines.length, 3);
    const top = Math.floor(Math.min(...lines.map((b) => b.y))) - 2;
    const bottom = Math.ceil(Math.max(...lines.map((b) => b.y + b.height))) + 2;
    const box = { page: 1, x: 50, y: top, width: 495, height: bottom - top };
    const outcome = await applyPdfRedactions({ sourcePath: demoPdf, outputPath: output, boxes: [box], knownIdentifiers: KNOWN }, context);
    assert.equal(outcome.record.operation, 'apply_redactions');
    assert.equal(outcome.record.details.redaction?.humanBoxes, 1);
    assert.equal(outcome.gate.status, 'passed');
    assert.doesNotMatch(independentReadings(output, { ocrPages: 0 }).pdftotext ?? '', /Darmvorbereitung/);
    const ppm = spawnSync('pdftoppm', ['-r', '72', '-f', '1', '-l', '1', '-singlefile', '-gray', '-png', output], { maxBuffer: 64 * 1024 * 1024 }).stdout;
    const { data, info } = await sharp(ppm).extract({ left: box.x + 2, top: box.y + 2, width: box.width - 4, height: box.height - 4 }).raw().toBuffer({ resolveWithObject: true });
    const mean = data.reduce((s, v) => s + v, 0) / (info.width * info.height);
    assert.ok(mean < 8, `the box area is black (mean ${mean})`);

    const before = readdirSync(dir).length;
    for (const bad of [[{ ...box, page: 0 }], [{ ...box, width: -5 }], [{ ...box, x: 'links' }], 'alles']) {
      await assert.rejects(applyPdfRedactions({ sourcePath: demoPdf, outputPath: join(dir, 'never.pdf'), boxes: bad, knownIdentifiers: KNOWN }, context), Invalid);
    }
    await assert.rejects(applyPdfRedactions({ sourcePath: demoPdf, outputPath: join(dir, 'never.pdf'), boxes: [{ ...box, page: 9 }], knownIdentifiers: KNOWN }, context), (e: unknown) => e instanceof Invalid && /Seite 9/.test(e.message));
    assert.equal(existsSync(join(dir, 'never.pdf')), false);
    assert.equal(readdirSync(dir).length, before, 'no scratch or temp files left behind');
  });

  test('a scanned report is read by OCR and redacted from the OCR positions', async () => {
    const scanned = join(dir, 'scanned.pdf');
    await writeScannedCopy(demoPdf, scanned, { dpi: 200 });
    assert.equal(tool('pdftotext', [scanned, '-']).trim(), '', 'no text layer at all');
    const output = join(dir, 'scanned-anonymized.pdf');
    // As after validation: SensitiveMeta holds the confirmed identities.
    const outcome = await anonymizeReportPdf({ sourcePath: scanned, outputPath: output, knownIdentifiers: KNOWN }, context);
    assert.equal(outcome.record.details.ocr_page_count, 2);
    assert.equal(outcome.extraction.fields.patient_dob?.value, DEMO.patient_dob);
    assert.equal(outcome.extraction.fields.casenumber?.value, DEMO.casenumber);
    assert.equal(outcome.gate.status, 'passed', outcome.gate.reasons.join('; '));
    const readings = independentReadings(output);
    assert.deepEqual(fieldsIn(readings.ocr ?? ''), []);
    assert.deepEqual(fieldsIn(readings.pdftotext ?? ''), []);
    assert.match(readings.pdftotext ?? '', /Befund/, 'the OCR text layer makes the scan searchable');
  });

  test('bad input: clear German error details, bounded time, nothing written, the original untouched', async () => {
    const blank = await PDFDocument.create();
    blank.addPage();
    const make = async (name: string, bytes: Uint8Array | Buffer): Promise<string> => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    };
    const demoBytes = readFileSync(demoPdf);
    const locked = join(dir, 'locked.pdf');
    assert.equal(spawnSync('qpdf', ['--encrypt', 'geheim', 'owner', '256', '--', demoPdf, locked]).status, 0);
    const many = await PDFDocument.create();
    for (let i = 0; i < 1000; i += 1) many.addPage([300, 300]).drawText(`Seite ${i + 1}`);
    const huge = await PDFDocument.create();
    huge.addPage([14_000, 14_000]).drawText('riesig');
    const cases: [string, string][] = [
      [await make('blank.pdf', await blank.save()), 'no_content'],
      [locked, 'encrypted'],
      [await make('truncated.pdf', demoBytes.subarray(0, Math.floor(demoBytes.length / 2))), 'malformed'],
      [await make('garbage.pdf', Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\n'), Buffer.alloc(500, 0x20), Buffer.from('trailer << /Root 1 0 R >>\n%%EOF\n')])), 'malformed'],
      [await make('thousand-pages.pdf', await many.save()), 'too_many_pages'],
      [await make('huge-page.pdf', await huge.save()), 'page_too_large'],
    ];
    const started = Date.now();
    for (const [source, code] of cases) {
      const hash = createHash('sha256').update(readFileSync(source)).digest('hex');
      const output = `${source}.out.pdf`;
      const startedAt = new Date().toISOString();
      const error = await anonymizeReportPdf({ sourcePath: source, outputPath: output }, context).then(
        () => assert.fail(`${source} was accepted`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof PdfError, `${source}: ${String(error)}`);
      assert.equal(error.code, code, source);
      const record = recordForFailure('report_import', startedAt, error);
      assert.equal(record?.status, 'failed');
      assert.match(record?.error_detail ?? '', /PDF/);
      assert.equal(existsSync(output), false, `${source}: nothing written`);
      assert.equal(createHash('sha256').update(readFileSync(source)).digest('hex'), hash, `${source}: original untouched`);
    }
    assert.ok(Date.now() - started < 60_000, `bounded (${Date.now() - started} ms)`);
  });
});

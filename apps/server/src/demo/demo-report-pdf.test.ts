import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { extractTextLayer, inspectPdfParts, pdfLimits } from '../adapters/pdf/index.js';
import { addDemoReport, DEMO_REPORT_FILE, demoReportIdentifiers } from './demo-report-pdf.js';
import { DEMO_IDENTITY } from './demo-identity.js';

test('demo make adds the German report of the demo patient and its identifiers to demo.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lx-demo-report-'));
  try {
    const manifestPath = join(dir, 'demo.json');
    writeFileSync(manifestPath, JSON.stringify({ fictitious: true, patient: DEMO_IDENTITY.patient, videos: [] }));
    const path = await addDemoReport(dir, manifestPath);
    assert.equal(path, join(dir, DEMO_REPORT_FILE));
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    assert.equal(manifest.fictitious, true, 'the video part of the manifest is kept');
    assert.deepEqual(manifest.report.identifiers, demoReportIdentifiers());
    assert.equal(manifest.report.identifiers.examiner_last_name, 'Östreicher');

    const bytes = readFileSync(path);
    const layer = await extractTextLayer(bytes, pdfLimits());
    assert.equal(layer.pageCount, 2);
    const text = layer.pages.map((p) => p.text).join('\n');
    for (const expected of ['Patient: Müller-Lüdenscheidt, Jürgen', 'geb. am 03.07.1958', 'Fallnr.: FN-2024-004711', 'Untersuchungsdatum: 14.03.2024', 'Maßnahme', 'Colon sigmoideum', 'am 14. März 2024']) {
      assert.ok(text.includes(expected), expected);
    }
    const parts = await inspectPdfParts(bytes);
    const where = (needle: string) => new Set(parts.parts.filter((p) => p.text.includes(needle)).map((p) => p.location));
    for (const location of ['info', 'xmp', 'annotation', 'attachment']) assert.ok(where('Müller-Lüdenscheidt').has(location as never), location);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

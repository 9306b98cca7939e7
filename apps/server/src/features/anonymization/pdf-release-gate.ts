import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { checkPdfStructure, extractTextLayer, inspectPdfParts, ocrImage, PdfError, renderPage, type PdfPartLocation } from '../../adapters/pdf/index.js';
import { IdentifierMatcher, type KnownIdentifier } from './identifiers/index.js';
import { defaultConcurrency, mapLimit } from './pdf-pool.js';
import type { PdfToolOptions } from './pdf-text.js';
import { gateResult, searchSources, type GateSource, type ReleaseGateResult } from './release-gate.js';

/**
 * DPI at which every output page is OCRed by the gate: the gate is the last
 * check, and tesseract reads small print best around 300 dpi.
 */
export const GATE_OCR_DPI = 300;

const PART_LABELS_DE: Record<PdfPartLocation, string> = {
  info: 'Dokument-Metadaten (Info)',
  xmp: 'XMP-Metadaten',
  annotation: 'Anmerkungen',
  form: 'Formularfelder',
  attachment: 'Dateianhänge',
  outline: 'Lesezeichen',
  'page-label': 'Seitenbeschriftungen',
  javascript: 'JavaScript',
  'image-metadata': 'Bild-Metadaten',
  object: 'sonstige PDF-Objekte',
};

/**
 * The PDF release gate: searches the processed PDF's text layer, Info metadata,
 * XMP, annotations, form fields, attachments, outlines, page labels, JavaScript,
 * image metadata, every other string object and the OCR of every page for every
 * known identifier, exactly and fuzzily. Attachments and JavaScript block on
 * their own (the redaction never produces them). An unreadable output blocks.
 */
export async function runPdfReleaseGate(pdfPath: string, identifiers: readonly KnownIdentifier[], options: PdfToolOptions & { ocrDpi?: number }): Promise<ReleaseGateResult> {
  const startedAt = Date.now();
  const matcher = new IdentifierMatcher(identifiers);
  let bytes: Buffer;
  const sources: GateSource[] = [];
  const structuralReasons: string[] = [];
  try {
    await checkPdfStructure(pdfPath, options.limits);
    bytes = await readFile(pdfPath);
    const layer = await extractTextLayer(bytes, options.limits);
    for (const page of layer.pages) sources.push({ location: `text-layer:page-${page.pageNumber}`, label: `Textebene, Seite ${page.pageNumber}`, text: page.text });
    const parts = await inspectPdfParts(bytes);
    parts.parts.forEach((part, index) => sources.push({ location: `${part.location}:${index}`, label: PART_LABELS_DE[part.location], text: part.text }));
    if (parts.counts.attachments > 0) structuralReasons.push(`Die Ausgabe enthält ${parts.counts.attachments} Dateianhang/-anhänge.`);
    if (parts.counts.javascript > 0) structuralReasons.push('Die Ausgabe enthält JavaScript.');
    const ocrTexts = await mapLimit(layer.pages, options.concurrency ?? defaultConcurrency(), async (page) => {
      const raster = await renderPage(pdfPath, page.pageNumber, { widthPt: page.widthPt, heightPt: page.heightPt }, options.ocrDpi ?? GATE_OCR_DPI, options.limits);
      return (await ocrImage(raster.ppm, raster.dpi, options.ocr)).text;
    });
    ocrTexts.forEach((text, index) => sources.push({ location: `ocr:page-${index + 1}`, label: `Texterkennung (OCR), Seite ${index + 1}`, text }));
  } catch (error) {
    if (!(error instanceof PdfError)) throw error;
    return gateResult({
      mediaType: 'pdf',
      matcher,
      findings: [],
      checkedSources: {},
      structuralReasons: [`Die Ausgabe ist nicht prüfbar: ${error.detailDe}`],
      startedAt,
    });
  }
  const { findings, checkedSources } = searchSources(matcher, sources);
  return gateResult({
    mediaType: 'pdf',
    matcher,
    findings,
    checkedSources,
    structuralReasons,
    outputSha256: createHash('sha256').update(bytes).digest('hex'),
    startedAt,
  });
}

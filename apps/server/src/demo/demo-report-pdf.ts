import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument, PDFName, PDFString, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import sharp from 'sharp';
import { pdfLimits, renderPage } from '../adapters/pdf/index.js';
import { atomicWriteStream } from '../adapters/storage/index.js';
import { DEMO_IDENTITY } from './demo-identity.js';

/** The identity shape of `DEMO_IDENTITY` (the fictitious patient shared with the demo video). */
export interface DemoReportIdentity {
  readonly patient: { readonly lastName: string; readonly firstName: string; readonly dob: string; readonly gender: string };
  readonly examination: { readonly date: string; readonly time: string; readonly caseNumber: string; readonly examiner: string };
  readonly endoscope: { readonly type: string; readonly serial: string };
}

const german = (iso: string): string => {
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
};
const short = (iso: string): string => {
  const [y, m, d] = iso.split('-');
  return `${Number(d)}.${Number(m)}.${y}`;
};
const MONTHS = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];
const spelled = (iso: string): string => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return `${d}. ${MONTHS[m - 1]} ${y}`;
};

/** "Dr. Hildegard Östreicher" → first and last name without the title. */
export function examinerNames(examiner: string): { first: string; last: string } {
  const words = examiner.split(/\s+/).filter((w) => !/^(dr|prof|med|pd)\.?$/i.test(w));
  return { first: words.slice(0, -1).join(' '), last: words[words.length - 1] ?? '' };
}

/** The identifiers the demo report carries, keyed like SensitiveMeta (for demo.json and the tests). */
export function demoReportIdentifiers(identity: DemoReportIdentity = DEMO_IDENTITY): Record<string, string> {
  const examiner = examinerNames(identity.examination.examiner);
  return {
    patient_first_name: identity.patient.firstName,
    patient_last_name: identity.patient.lastName,
    patient_dob: identity.patient.dob,
    patient_gender: identity.patient.gender,
    casenumber: identity.examination.caseNumber,
    examination_date: identity.examination.date,
    examiner_first_name: examiner.first,
    examiner_last_name: examiner.last,
    endoscope_type: identity.endoscope.type,
    endoscope_sn: identity.endoscope.serial,
  };
}

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56;

interface Writer {
  readonly page: PDFPage;
  y: number;
}

function line(w: Writer, text: string, font: PDFFont, size = 10.5, x = MARGIN): void {
  w.page.drawText(text, { x, y: w.y, size, font, color: rgb(0.1, 0.1, 0.1) });
  w.y -= size * 1.45;
}

/** Text wrapped to the page width. */
function paragraph(w: Writer, text: string, font: PDFFont, size = 10.5): void {
  const maxWidth = A4[0] - 2 * MARGIN;
  let current = '';
  for (const word of text.split(' ')) {
    const next = current === '' ? word : `${current} ${word}`;
    if (font.widthOfTextAtSize(next, size) > maxWidth) {
      line(w, current, font, size);
      current = word;
    } else current = next;
  }
  if (current !== '') line(w, current, font, size);
  w.y -= size * 0.5;
}

function header(w: Writer, fonts: { regular: PDFFont; bold: PDFFont }, identity: DemoReportIdentity, pageNumber: number, pageCount: number): void {
  line(w, 'Universitätsklinikum Beispielstadt · Medizinische Klinik II · Interdisziplinäre Endoskopie', fonts.regular, 8.5);
  line(w, `${identity.patient.lastName}, ${identity.patient.firstName}, * ${german(identity.patient.dob)} · Fallnr. ${identity.examination.caseNumber} · Seite ${pageNumber} von ${pageCount}`, fonts.regular, 8.5);
  w.page.drawLine({ start: { x: MARGIN, y: w.y + 6 }, end: { x: A4[0] - MARGIN, y: w.y + 6 }, thickness: 0.6, color: rgb(0.4, 0.4, 0.4) });
  w.y -= 14;
}

function table(w: Writer, fonts: { regular: PDFFont; bold: PDFFont }, rows: readonly (readonly string[])[], widths: readonly number[]): void {
  const rowHeight = 18;
  const x0 = MARGIN;
  const totalWidth = widths.reduce((a, b) => a + b, 0);
  rows.forEach((row, r) => {
    const top = w.y + 12;
    let x = x0;
    row.forEach((cell, c) => {
      w.page.drawText(cell, { x: x + 4, y: w.y, size: 9.5, font: r === 0 ? fonts.bold : fonts.regular });
      x += widths[c] ?? 0;
    });
    w.page.drawRectangle({ x: x0, y: top - rowHeight, width: totalWidth, height: rowHeight, borderColor: rgb(0.5, 0.5, 0.5), borderWidth: 0.5 });
    w.y -= rowHeight;
  });
  w.y -= 10;
}

/** XMP packet of the kind report systems write, with the patient in dc:title. */
function xmpPacket(identity: DemoReportIdentity): string {
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">',
    `<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Koloskopiebefund ${identity.patient.lastName}, ${identity.patient.firstName}</rdf:li></rdf:Alt></dc:title>`,
    `<dc:creator><rdf:Seq><rdf:li>${identity.examination.examiner}</rdf:li></rdf:Seq></dc:creator>`,
    '</rdf:Description></rdf:RDF></x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}

/**
 * Writes a German colonoscopy report for the demo patient: names in the header
 * of every page and in the body, several date spellings, a findings table, a
 * signature, and the identifiers in the Info dictionary (Title, Author, Subject,
 * Keywords), an XMP packet, a sticky-note annotation and a text attachment, so
 * that a redaction which forgets any of these is caught. Standard Helvetica
 * (WinAnsi: ä ö ü ß are in it) keeps a real text layer. `pages` ≥ 2 adds
 * follow-up pages (for benchmarks).
 */
export async function writeDemoReportPdf(path: string, identity: DemoReportIdentity = DEMO_IDENTITY, options: { pages?: number } = {}): Promise<void> {
  const pageCount = Math.max(2, options.pages ?? 2);
  const doc = await PDFDocument.create();
  const fonts = { regular: await doc.embedFont(StandardFonts.Helvetica), bold: await doc.embedFont(StandardFonts.HelveticaBold) };
  const { patient, examination, endoscope } = identity;
  const examiner = examinerNames(examination.examiner);

  const first: Writer = { page: doc.addPage(A4), y: A4[1] - MARGIN };
  header(first, fonts, identity, 1, pageCount);
  line(first, 'Koloskopie-Befundbericht', fonts.bold, 15);
  first.y -= 6;
  line(first, `Patient: ${patient.lastName}, ${patient.firstName}          geb. am ${german(patient.dob)}`, fonts.regular, 11);
  line(first, `Fallnr.: ${examination.caseNumber}`, fonts.regular, 11);
  line(first, `Untersuchungsdatum: ${german(examination.date)}, ${examination.time.slice(0, 5)} Uhr`, fonts.regular, 11);
  line(first, `Untersucher: Dr. med. ${examiner.first} ${examiner.last}`, fonts.regular, 11);
  line(first, `Endoskop: Olympus ${endoscope.type} (SN ${endoscope.serial})`, fonts.regular, 11);
  first.y -= 8;
  line(first, 'Indikation', fonts.bold, 11.5);
  paragraph(
    first,
    `Vorsorgekoloskopie. Herr ${patient.firstName} ${patient.lastName} (geb. ${short(patient.dob)}) stellte sich am ${spelled(examination.date)} zur Untersuchung vor. Familienanamnese für kolorektale Karzinome negativ.`,
    fonts.regular,
  );
  line(first, 'Befund', fonts.bold, 11.5);
  paragraph(
    first,
    'Gute Darmvorbereitung (Boston Bowel Preparation Scale 8). Intubation bis ins terminale Ileum. Im Colon sigmoideum ein 6 mm großer sessiler Polyp (Paris 0-Is), vollständige Abtragung mit kalter Schlinge. Übriges Kolon unauffällig.',
    fonts.regular,
  );
  table(first, fonts, [
    ['Segment', 'Befund', 'Maßnahme'],
    ['Ileum', 'unauffällig', '–'],
    ['Colon ascendens', 'unauffällig', '–'],
    ['Colon sigmoideum', 'Polyp 6 mm, Paris 0-Is', 'Kalte Schlinge, geborgen'],
    ['Rektum', 'Hämorrhoiden I°', '–'],
  ], [140, 170, 170]);

  const second: Writer = { page: doc.addPage(A4), y: A4[1] - MARGIN };
  header(second, fonts, identity, 2, pageCount);
  line(second, 'Beurteilung und Empfehlung', fonts.bold, 11.5);
  paragraph(
    second,
    `Bei Herrn ${patient.lastName} wurde ein kleiner Polyp vollständig entfernt. Histologie ausstehend. Kontrollkoloskopie in 5 Jahren, bei Nachweis eines Adenoms mit hochgradiger Dysplasie früher. Rückfragen zur Untersuchung vom ${german(examination.date)} bitte unter Angabe der Fallnummer ${examination.caseNumber}.`,
    fonts.regular,
  );
  second.y -= 30;
  line(second, `Beispielstadt, ${german(examination.date)}`, fonts.regular);
  second.y -= 24;
  line(second, `Dr. med. ${examiner.first} ${examiner.last}`, fonts.regular);
  line(second, 'Oberärztin Gastroenterologie', fonts.regular, 9);

  for (let n = 3; n <= pageCount; n += 1) {
    const page: Writer = { page: doc.addPage(A4), y: A4[1] - MARGIN };
    header(page, fonts, identity, n, pageCount);
    line(page, `Verlaufsdokumentation, Teil ${n - 2}`, fonts.bold, 11.5);
    for (let k = 0; k < 9; k += 1) {
      paragraph(
        page,
        'Nachbeobachtung im Aufwachraum ohne Komplikationen. Vitalparameter stabil, keine Blutung, keine abdominellen Schmerzen. Kostaufbau ab dem Abend möglich, Entlassung in häusliche Umgebung in Begleitung. Aufklärung über Warnzeichen erfolgt.',
        fonts.regular,
      );
    }
  }

  doc.setTitle(`Koloskopiebefund ${patient.lastName}, ${patient.firstName}`);
  doc.setAuthor(examination.examiner);
  doc.setSubject(`Koloskopie vom ${german(examination.date)} – Fallnr. ${examination.caseNumber}`);
  doc.setKeywords([patient.lastName, patient.firstName, german(patient.dob), examination.caseNumber]);
  doc.setCreator('Endoskopie-Dokumentationssystem Beispielstadt');
  doc.setProducer('lx-annotate demo');
  const xmp = doc.context.stream(Buffer.from(xmpPacket(identity), 'utf8'), { Type: 'Metadata', Subtype: 'XML' });
  doc.catalog.set(PDFName.of('Metadata'), doc.context.register(xmp));
  const note = doc.context.obj({
    Type: 'Annot',
    Subtype: 'Text',
    Rect: [480, 760, 500, 780],
    Contents: PDFString.of(`Rückruf bei ${patient.firstName} ${patient.lastName} wegen Histologie`),
    T: PDFString.of(examination.examiner),
  });
  first.page.node.set(PDFName.of('Annots'), doc.context.obj([doc.context.register(note)]));
  await doc.attach(Buffer.from(`Notiz: ${patient.lastName}, ${patient.firstName}, geb. ${german(patient.dob)}\n`, 'utf8'), 'notiz.txt', {
    mimeType: 'text/plain',
    description: `Notiz zu ${patient.lastName}`,
  });
  await writeFile(path, await doc.save({ useObjectStreams: false }));
}

/**
 * A "scanned" copy of a PDF: every page rasterised to a JPEG picture, no text
 * layer at all (as a scanner produces). For OCR tests and benchmarks.
 */
export async function writeScannedCopy(sourcePdf: string, path: string, options: { dpi?: number } = {}): Promise<void> {
  const limits = pdfLimits();
  const source = await PDFDocument.load(await readFile(sourcePdf));
  const out = await PDFDocument.create();
  out.setProducer('Scanner');
  for (let index = 0; index < source.getPageCount(); index += 1) {
    const { width, height } = source.getPage(index).getSize();
    const raster = await renderPage(sourcePdf, index + 1, { widthPt: width, heightPt: height }, options.dpi ?? 200, limits);
    const jpeg = await sharp(raster.ppm.subarray(raster.pixelOffset), { raw: { width: raster.widthPx, height: raster.heightPx, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    const image = await out.embedJpg(jpeg);
    out.addPage([width, height]).drawImage(image, { x: 0, y: 0, width, height });
  }
  await writeFile(path, await out.save());
}

export const DEMO_REPORT_FILE = 'demo-report.pdf';

/**
 * For `lx-annotate demo make <dir>`: writes the demo report next to the demo
 * videos and adds it, with its identifiers, to the `demo.json` manifest there.
 */
export async function addDemoReport(dir: string, manifestPath: string, identity: DemoReportIdentity = DEMO_IDENTITY): Promise<string> {
  const path = join(dir, DEMO_REPORT_FILE);
  await writeDemoReportPdf(path, identity);
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  manifest.report = { file: DEMO_REPORT_FILE, pages: 2, identifiers: demoReportIdentifiers(identity) };
  await atomicWriteStream(manifestPath, async (handle) => {
    await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  }, { mode: 0o644 });
  return path;
}

// `npm run bench -- pdf`: the report-PDF core (structure check, text layer, OCR fallback,
// identifier extraction, pseudonymous text, TRUE redaction, release gate) against the bare
// tool steps it needs, measured side by side in one run on this machine:
//   qpdf checks, pdf.js text extraction, pdftoppm rasters and tesseract runs with the same
//   arguments, the same DPIs and the same parallelism, nothing else.
// Two documents: a 20-page text report and a 5-page scanned report (no text layer).
// Target: ours / bare ≤ 1.5. Runs are ordered ours, bare, bare, ours so that drifting
// background load hits both sides alike; the sums of both runs are compared.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { pdfLimits } from '../apps/server/src/adapters/pdf/index.js';
import { Secret } from '../apps/server/src/config/index.js';
import { writeDemoReportPdf, writeScannedCopy } from '../apps/server/src/demo/demo-report-pdf.js';
import { anonymizeReportPdf, EXTRACTION_OCR_DPI, GATE_OCR_DPI, REDACTION_DPI, type ReportPdfContext } from '../apps/server/src/features/anonymization/index.js';

const RATIO_TARGET = 1.5;
const CONCURRENCY = availableParallelism();
const TESSDATA = process.env.TESSDATA_PREFIX ?? '/usr/share/tesseract-ocr/5/tessdata';
const say = (text: string): void => void process.stdout.write(`${text}\n`);
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

function run(command: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C.UTF-8', OMP_THREAD_LIMIT: '1', TESSDATA_PREFIX: TESSDATA } });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 || (command === 'qpdf' && code !== null && code <= 3) ? resolve(Buffer.concat(out)) : reject(new Error(`${command} exited ${code}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

async function pool<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

async function bareText(pdf: string): Promise<number> {
  const doc = await getDocument({ data: new Uint8Array(await readFile(pdf)), isEvalSupported: false, disableFontFace: true, verbosity: 0 }).promise;
  for (let p = 1; p <= doc.numPages; p += 1) await (await doc.getPage(p)).getTextContent();
  const pages = doc.numPages;
  await doc.destroy();
  return pages;
}

const raster = (pdf: string, page: number, dpi: number): Promise<Buffer> => run('pdftoppm', ['-cropbox', '-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', pdf]);
const tesseract = (dpi: number, tail: string[], image: Buffer): Promise<Buffer> => run('tesseract', ['stdin', ...tail.slice(0, 1), '-l', 'deu+eng', '--dpi', String(dpi), '--psm', '3', ...tail.slice(1)], image);

/** Exactly the external steps our run needs, without anything of ours around them. */
async function bare(source: string, output: string, ocrAtImport: boolean, work: string): Promise<number> {
  const start = process.hrtime.bigint();
  const pages = Array.from({ length: await (async () => {
    await run('qpdf', ['--requires-password', source]);
    await run('qpdf', ['--check', source]);
    return bareText(source);
  })() }, (_, i) => i + 1);
  if (ocrAtImport) await pool(pages, async (p) => tesseract(EXTRACTION_OCR_DPI, ['stdout', 'tsv'], await raster(source, p, EXTRACTION_OCR_DPI)));
  await pool(pages, async (p) => {
    const base = join(work, `bare-${p}`);
    await tesseract(REDACTION_DPI, [base, '-c', 'textonly_pdf=1', 'pdf', 'tsv'], await raster(source, p, REDACTION_DPI));
  });
  await run('qpdf', ['--requires-password', output]);
  await run('qpdf', ['--check', output]);
  await bareText(output);
  await pool(pages, async (p) => tesseract(GATE_OCR_DPI, ['stdout', 'tsv'], await raster(output, p, GATE_OCR_DPI)));
  return seconds(start);
}

interface Case {
  readonly name: string;
  readonly source: string;
  readonly pages: number;
}

async function main(): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'lx-bench-pdf-'));
  try {
    const textReport = join(work, 'report-20-pages.pdf');
    const shortReport = join(work, 'report-5-pages.pdf');
    const scanned = join(work, 'scanned-5-pages.pdf');
    await writeDemoReportPdf(textReport, undefined, { pages: 20 });
    await writeDemoReportPdf(shortReport, undefined, { pages: 5 });
    await writeScannedCopy(shortReport, scanned, { dpi: 200 });
    const context: ReportPdfContext = {
      limits: pdfLimits(),
      ocr: { languages: 'deu+eng', tessdataPrefix: TESSDATA, timeoutMs: 300_000 },
      workDir: work,
      centerName: 'bench-center',
      salt: new Secret('bench-salt'),
      concurrency: CONCURRENCY,
    };
    const cases: Case[] = [
      { name: '20-page text report', source: textReport, pages: 20 },
      { name: '5-page scanned report', source: scanned, pages: 5 },
    ];
    say(`parallel page steps: ${CONCURRENCY}; DPI import OCR ${EXTRACTION_OCR_DPI}, redaction ${REDACTION_DPI}, gate OCR ${GATE_OCR_DPI}`);
    say('');
    say('document                 pages   ours (s)   bare (s)   ratio   target   boxes  gate');
    let ok = true;
    for (const c of cases) {
      const output = join(work, `${c.name.replace(/\W+/g, '-')}.anonymized.pdf`);
      const ours = async (): Promise<{ seconds: number; boxes: number; gate: string; ocr: boolean }> => {
        const start = process.hrtime.bigint();
        const outcome = await anonymizeReportPdf({ sourcePath: c.source, outputPath: output }, context);
        const elapsed = seconds(start);
        const redaction = outcome.record.details.redaction;
        return { seconds: elapsed, boxes: (redaction?.automaticBoxes ?? 0) + (redaction?.correctionBoxes ?? 0), gate: outcome.gate.status, ocr: (outcome.record.details.ocr_page_count ?? 0) > 0 };
      };
      const first = await ours();
      const bare1 = await bare(c.source, output, first.ocr, work);
      const bare2 = await bare(c.source, output, first.ocr, work);
      const second = await ours();
      const oursTotal = first.seconds + second.seconds;
      const bareTotal = bare1 + bare2;
      const ratio = oursTotal / bareTotal;
      const pass = ratio <= RATIO_TARGET && first.gate === 'passed';
      ok &&= pass;
      say(
        `${c.name.padEnd(24)} ${String(c.pages).padStart(5)}   ${(oursTotal / 2).toFixed(1).padStart(8)}   ${(bareTotal / 2).toFixed(1).padStart(8)}   ${ratio.toFixed(2).padStart(5)}   ≤ ${RATIO_TARGET.toFixed(1)}   ${String(first.boxes).padStart(5)}  ${first.gate}  ${pass ? 'PASS' : 'FAIL'}`,
      );
    }
    say('');
    say(ok ? 'pdf benchmark: PASS' : 'pdf benchmark: FAIL');
    return ok ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();

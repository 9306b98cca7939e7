import type { Secret, Settings } from '../../config/index.js';
import { Invalid } from '../../shared/errors.js';
import { PdfError, pdfLimits } from '../../adapters/pdf/index.js';
import {
  extractIdentifiers,
  IdentifierMatcher,
  replaceIdentifiers,
  SEARCHED_FIELDS,
  type ExtractionOutcome,
  type IdentifierField,
  type KnownIdentifier,
  type LlmExtractorConfig,
} from './identifiers/index.js';
import { runPdfReleaseGate } from './pdf-release-gate.js';
import { RedactionBoxes, writeRedactedPdf, type RedactionBox, type RedactionSummary } from './pdf-redaction.js';
import { readReportPdf, type PdfToolOptions } from './pdf-text.js';
import { textPseudonyms } from './pseudonymization.js';
import type { ReleaseGateResult } from './release-gate.js';

export interface ReportPdfContext extends PdfToolOptions {
  /** The center's `name`: part of the pseudonym seed (patient hash). */
  readonly centerName: string;
  readonly salt: Secret;
  /** Only when configured; used only when the rules find nothing. */
  readonly llm?: LlmExtractorConfig;
  readonly fetchImpl?: typeof fetch;
}

/**
 * The context for one center's report processing, from the settings: page cap,
 * tesseract data, salt, and the LLM only when an endpoint is configured.
 * `workDir` must be a private directory below the protected data root.
 */
export function reportPdfContextFrom(settings: Settings, input: { workDir: string; centerName: string; concurrency?: number }): ReportPdfContext {
  const { anonymization, media } = settings;
  return {
    limits: pdfLimits({ maxPages: anonymization.pdfMaxPages }),
    ocr: { languages: 'deu+eng', tessdataPrefix: media.tessdataPrefix, timeoutMs: Math.min(media.transcodeTimeoutSeconds, 600) * 1000 },
    workDir: input.workDir,
    centerName: input.centerName,
    salt: anonymization.pseudonymSalt,
    ...(input.concurrency ? { concurrency: input.concurrency } : {}),
    ...(anonymization.llm.endpoint
      ? { llm: { endpoint: anonymization.llm.endpoint, model: anonymization.llm.model, timeoutMs: anonymization.llm.timeoutSeconds * 1000 } }
      : {}),
  };
}

/** A processing-history record: counts, statuses and reasons, never an identifier value. */
export interface PdfProcessingRecord {
  readonly operation: 'report_import' | 'apply_redactions';
  readonly status: 'success' | 'failed';
  readonly started_at: string;
  readonly finished_at: string;
  /** German, for `error_detail` and the validator. */
  readonly error_detail: string;
  readonly error_code?: string;
  readonly details: {
    readonly page_count?: number;
    readonly ocr_page_count?: number;
    readonly extraction_method?: ExtractionOutcome['method'];
    readonly extracted_fields?: readonly { field: IdentifierField; confidence: number; source: string }[];
    readonly redaction?: Omit<RedactionSummary, 'outputSha256' | 'outputBytes'>;
    readonly gate?: ReleaseGateResult;
    readonly warnings?: readonly string[];
  };
  readonly output_sha256?: string;
}

export interface ReportPdfOutcome {
  readonly record: PdfProcessingRecord;
  /** The raw text (identifying: store only in SensitiveMeta / pdf_files.text). */
  readonly text: string;
  readonly anonymizedText: string;
  /** Identifying values for SensitiveMeta; never log them. */
  readonly extraction: ExtractionOutcome;
  readonly gate: ReleaseGateResult;
  readonly redaction: RedactionSummary;
}

function mergeIdentifiers(extraction: ExtractionOutcome, known: readonly KnownIdentifier[]): KnownIdentifier[] {
  const out = new Map<string, KnownIdentifier>();
  for (const identifier of known) out.set(`${identifier.field}|${identifier.value}`, identifier);
  for (const [field, extracted] of Object.entries(extraction.fields) as [IdentifierField, { value: string }][]) {
    if (SEARCHED_FIELDS.has(field)) out.set(`${field}|${extracted.value}`, { field, value: extracted.value });
  }
  return [...out.values()];
}

function valuesForPseudonyms(extraction: ExtractionOutcome, known: readonly KnownIdentifier[]): Partial<Record<IdentifierField, string>> {
  const values: Partial<Record<IdentifierField, string>> = {};
  for (const [field, extracted] of Object.entries(extraction.fields) as [IdentifierField, { value: string }][]) values[field] = extracted.value;
  // Values confirmed in SensitiveMeta win over what this run read.
  for (const { field, value } of known) values[field] = value;
  return values;
}

function failedRecord(operation: PdfProcessingRecord['operation'], startedAt: string, error: PdfError): PdfProcessingRecord {
  return { operation, status: 'failed', started_at: startedAt, finished_at: new Date().toISOString(), error_detail: error.detailDe, error_code: error.code, details: {} };
}

/**
 * The report import's anonymization: read the text (OCR where needed), extract
 * identifiers, replace them in the text with pseudonyms, write the truly
 * redacted PDF to `outputPath` (atomically) and check it with the release
 * gate. A `PdfError` (encrypted, malformed, bomb …) is rethrown after nothing
 * was written; the caller records `error_detail` from it.
 */
export async function anonymizeReportPdf(
  input: { sourcePath: string; outputPath: string; knownIdentifiers?: readonly KnownIdentifier[]; humanBoxes?: readonly RedactionBox[]; operation?: PdfProcessingRecord['operation'] },
  context: ReportPdfContext,
): Promise<ReportPdfOutcome> {
  const startedAt = new Date().toISOString();
  const report = await readReportPdf(input.sourcePath, context);
  const extraction = await extractIdentifiers(report.text, { ...(context.llm ? { llm: context.llm } : {}), ...(context.fetchImpl ? { fetchImpl: context.fetchImpl } : {}) });
  const known = input.knownIdentifiers ?? [];
  const identifiers = mergeIdentifiers(extraction, known);
  const replacements = textPseudonyms(valuesForPseudonyms(extraction, known), context.centerName, context.salt.reveal());
  const anonymized = replaceIdentifiers(report.text, identifiers, replacements);
  const redaction = await writeRedactedPdf(input.sourcePath, report, new IdentifierMatcher(identifiers), input.humanBoxes ?? [], input.outputPath, context);
  const gate = await runPdfReleaseGate(input.outputPath, identifiers, context);
  const blocked = gate.status === 'blocked';
  const { outputSha256, outputBytes: _bytes, ...redactionCounts } = redaction;
  const record: PdfProcessingRecord = {
    operation: input.operation ?? 'report_import',
    status: blocked ? 'failed' : 'success',
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    error_detail: blocked ? `Freigabeprüfung nicht bestanden: ${gate.reasons.join('; ')}` : '',
    ...(blocked ? { error_code: 'release_gate_blocked' } : {}),
    details: {
      page_count: report.pages.length,
      ocr_page_count: report.ocrPageCount,
      extraction_method: extraction.method,
      extracted_fields: (Object.entries(extraction.fields) as [IdentifierField, { confidence: number; source: string }][]).map(([field, f]) => ({ field, confidence: f.confidence, source: f.source })),
      redaction: redactionCounts,
      gate,
      warnings: [...(report.structure.warnings.length > 0 ? ['qpdf_repaired_structure'] : []), ...extraction.warnings],
    },
    output_sha256: outputSha256,
  };
  return { record, text: report.text, anonymizedText: anonymized.text, extraction, gate, redaction };
}

/**
 * `apply-redactions`: boxes from the correction UI (validated here) plus the
 * automatic ones give a new processed version from the raw PDF, checked by
 * the release gate like any other output.
 */
export async function applyPdfRedactions(
  input: { sourcePath: string; outputPath: string; boxes: unknown; knownIdentifiers: readonly KnownIdentifier[] },
  context: ReportPdfContext,
): Promise<ReportPdfOutcome> {
  const parsed = RedactionBoxes.safeParse(input.boxes);
  if (!parsed.success) {
    throw new Invalid('Die Schwärzungsfelder sind ungültig (Seite ab 1, Position und Größe in Punkten).', { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
  }
  const boxes = parsed.data;
  return anonymizeReportPdf({ sourcePath: input.sourcePath, outputPath: input.outputPath, knownIdentifiers: input.knownIdentifiers, humanBoxes: boxes, operation: 'apply_redactions' }, context);
}

/** For a caller that catches: the history record of a run that could not read the PDF. */
export function recordForFailure(operation: PdfProcessingRecord['operation'], startedAt: string, error: unknown): PdfProcessingRecord | undefined {
  return error instanceof PdfError ? failedRecord(operation, startedAt, error) : undefined;
}

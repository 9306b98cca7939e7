import { z } from 'zod';

/** A blank string counts as absent (the original's "blank → null"). */
const blankToNull = (value: string | null | undefined): string | null => (value === undefined || value === null || value.trim() === '' ? null : value.trim());

const shortText = (max = 255) => z.string().max(max, `höchstens ${max} Zeichen`).nullable().optional().transform(blankToNull);
const longText = z.string().max(5_000_000).nullable().optional().transform(blankToNull);
const isoDate = z
  .string()
  .nullable()
  .optional()
  .transform(blankToNull)
  .refine((v) => v === null || (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`))), 'Datum im Format JJJJ-MM-TT erwartet');
const clockTime = z
  .string()
  .nullable()
  .optional()
  .transform(blankToNull)
  .refine((v) => v === null || /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(v), 'Uhrzeit im Format HH:MM[:SS] erwartet');

/**
 * `PreanonymizedIngestPayload` (§3.5): the optional `<stem>.json` beside a
 * preanonymized `.pdf`/`.mp4`, and the sidecar the SAP converter writes beside each
 * `.txt`. Unknown keys are ignored, blank strings become null, and a value of the
 * wrong type (a number where text belongs, a malformed date) refuses the whole file,
 * which then goes to quarantine with the reason.
 */
export const PreanonymizedPayload = z.object({
  external_id: shortText(),
  external_id_origin: shortText(),
  casenumber: shortText(),
  patient_first_name: shortText(),
  patient_last_name: shortText(),
  patient_dob: isoDate,
  patient_gender: shortText(32),
  examination_date: isoDate,
  examination_time: clockTime,
  anonymized_text: longText,
  text: longText,
  file_path: shortText(4096),
  endoscope_type: shortText(),
  endoscope_sn: shortText(),
  patient_hash: shortText(64),
  examination_hash: shortText(64),
  center_key: shortText(),
  center_name: shortText(),
  source_system: shortText(),
  source_document_type: shortText(),
  original_document_id: shortText(),
  original_document_version: shortText(),
  raw_columns: z.record(z.string(), z.unknown()).nullable().optional().transform((v) => v ?? null),
});
export type PreanonymizedPayload = z.output<typeof PreanonymizedPayload>;

/** Largest sidecar read into memory (the SAP converter's are a few KiB; raw columns can add some). */
export const MAX_SIDECAR_BYTES = 16 * 1024 * 1024;

export type SidecarResult = { readonly ok: true; readonly payload: PreanonymizedPayload } | { readonly ok: false; readonly reason: string };

/** Parses and validates sidecar text; the reason is German (it becomes the job's error_detail). */
export function parseSidecar(text: string): SidecarResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'Begleitdatei (.json) ist kein gültiges JSON.' };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, reason: 'Begleitdatei (.json) muss ein JSON-Objekt enthalten.' };
  const parsed = PreanonymizedPayload.safeParse(json);
  if (parsed.success) return { ok: true, payload: parsed.data };
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(Objekt)'}: ${i.code === 'invalid_type' ? 'falscher Typ' : i.message}`);
  return { ok: false, reason: `Begleitdatei (.json) ungültig: ${issues.join('; ')}` };
}

/** Identifier fields, named after the SensitiveMeta columns that hold them. */
export const IDENTIFIER_FIELDS = [
  'patient_first_name',
  'patient_last_name',
  'patient_dob',
  'patient_gender',
  'casenumber',
  'examination_date',
  'examiner_first_name',
  'examiner_last_name',
  'endoscope_type',
  'endoscope_sn',
  'external_id',
] as const;
export type IdentifierField = (typeof IDENTIFIER_FIELDS)[number];

export const DATE_FIELDS: ReadonlySet<IdentifierField> = new Set(['patient_dob', 'examination_date']);
export const NAME_FIELDS: ReadonlySet<IdentifierField> = new Set(['patient_first_name', 'patient_last_name', 'examiner_first_name', 'examiner_last_name']);

/**
 * Fields that identify a person and are searched, replaced and redacted. The
 * gender and the endoscope model identify nobody and stay in the text.
 */
export const SEARCHED_FIELDS: ReadonlySet<IdentifierField> = new Set([
  'patient_first_name',
  'patient_last_name',
  'patient_dob',
  'casenumber',
  'examination_date',
  'examiner_first_name',
  'examiner_last_name',
  'endoscope_sn',
  'external_id',
]);

export type PatientGender = 'male' | 'female' | 'divers' | 'unknown';

export interface ExtractedField {
  /** Dates as `YYYY-MM-DD`, gender as `male`/`female`/`divers`, everything else as written. */
  readonly value: string;
  /** 0..1: how sure the extractor is that this value belongs to this field. */
  readonly confidence: number;
  readonly source: 'rules' | 'llm';
}

export type ExtractedIdentifiers = Partial<Record<IdentifierField, ExtractedField>>;

import { compareDates, formatGermanDate, isoToGerman, parseGermanDate } from '../../shared/dates';
import type { MediaType } from './anonymization.api';

/** The validation form's state: what the reviewer sees and corrects (W3). */
export interface ValidationForm {
  patientFirstName: string;
  patientLastName: string;
  patientGender: '' | 'male' | 'female' | 'divers';
  patientDob: string;
  examinationDate: string;
  casenumber: string;
  anonymizedText: string;
  externalId: string;
  externalIdOrigin: string;
  centerName: string;
  documentType: string;
  noMoreNames: 'unknown' | 'confirmed' | 'not_confirmed';
  tags: string[];
  validationComment: string;
}

export const TAG_PRESETS = ['Nochmal Überprüfen', 'Ausgeschlossen'] as const;

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** Gender spellings found in extracted metadata (OCR, reports) → the form's values. */
const GENDERS: Record<string, ValidationForm['patientGender']> = {
  male: 'male', m: 'male', 'männlich': 'male', maennlich: 'male', mann: 'male',
  female: 'female', f: 'female', w: 'female', weiblich: 'female', frau: 'female',
  divers: 'divers', d: 'divers', diverse: 'divers', x: 'divers',
};

/** Prefills from SensitiveMeta (camelCase, any of the original's field spellings). */
export function formFromMeta(meta: Record<string, unknown> | null | undefined, item: { anonymizedText?: string | null; documentType?: string | null; centerName?: string | null } = {}): ValidationForm {
  const m = meta ?? {};
  const gender = str(m.patientGender ?? m.gender).toLowerCase();
  return {
    patientFirstName: str(m.patientFirstName),
    patientLastName: str(m.patientLastName),
    patientGender: GENDERS[gender] ?? '',
    patientDob: isoToGerman(str(m.patientDob)),
    examinationDate: isoToGerman(str(m.examinationDate)),
    casenumber: str(m.casenumber ?? m.caseNumber),
    anonymizedText: item.anonymizedText ?? str(m.anonymizedText),
    externalId: str(m.externalId),
    externalIdOrigin: str(m.externalIdOrigin),
    centerName: item.centerName ?? str(m.centerName),
    documentType: item.documentType ?? '',
    noMoreNames: 'unknown',
    tags: [],
    validationComment: '',
  };
}

export type FormErrors = Partial<Record<keyof ValidationForm, string>>;

/** German checks before approval: required names, valid DD.MM.YYYY dates, exam not before birth. */
export function checkForm(form: ValidationForm, mediaType: MediaType, documentTypes: readonly string[] = []): FormErrors {
  const errors: FormErrors = {};
  if (form.patientFirstName.trim() === '') errors.patientFirstName = 'Vorname fehlt.';
  if (form.patientLastName.trim() === '') errors.patientLastName = 'Nachname fehlt.';
  const dob = form.patientDob.trim() === '' ? undefined : parseGermanDate(form.patientDob);
  if (form.patientDob.trim() === '') errors.patientDob = 'Geburtsdatum fehlt.';
  else if (!dob) errors.patientDob = 'Geburtsdatum bitte als TT.MM.JJJJ mit gültigem Datum eingeben.';
  const exam = form.examinationDate.trim() === '' ? undefined : parseGermanDate(form.examinationDate);
  if (form.examinationDate.trim() !== '' && !exam) errors.examinationDate = 'Untersuchungsdatum bitte als TT.MM.JJJJ mit gültigem Datum eingeben.';
  else if (dob && exam && compareDates(exam, dob) < 0) errors.examinationDate = 'Das Untersuchungsdatum liegt vor dem Geburtsdatum.';
  if (mediaType === 'pdf') {
    if (form.documentType === '') errors.documentType = 'Bitte einen Dokumenttyp wählen.';
    else if (documentTypes.length > 0 && !documentTypes.includes(form.documentType)) errors.documentType = 'Unbekannter Dokumenttyp.';
  }
  return errors;
}

/** The `anonymization/<id>/validate/` body (camelCase here; the client sends snake_case). */
export function validatePayload(form: ValidationForm, mediaType: MediaType): Record<string, unknown> {
  const dob = parseGermanDate(form.patientDob);
  const exam = parseGermanDate(form.examinationDate);
  return {
    patientFirstName: form.patientFirstName.trim(),
    patientLastName: form.patientLastName.trim(),
    patientGender: form.patientGender || null,
    patientDob: dob ? formatGermanDate(dob) : '',
    examinationDate: exam ? formatGermanDate(exam) : null,
    casenumber: form.casenumber.trim(),
    anonymizedText: form.anonymizedText,
    text: form.anonymizedText,
    isVerified: true,
    fileType: mediaType,
    centerName: form.centerName,
    externalId: form.externalId,
    externalIdOrigin: form.externalIdOrigin,
    tags: form.tags,
    validationComment: form.validationComment,
    ...(mediaType === 'pdf' ? { documentType: form.documentType } : {}),
    noMoreNamesConfirmed: form.noMoreNames === 'unknown' ? null : form.noMoreNames === 'confirmed',
  };
}

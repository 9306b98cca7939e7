import { IdentifierMatcher, mergeHits, type KnownIdentifier } from './matcher.js';
import type { IdentifierField } from './types.js';

/** The pseudonym written in place of each identifier field. */
export type Replacements = Partial<Record<IdentifierField, string>>;

/** Written when no pseudonym is known for a field: the value still never survives. */
const PLACEHOLDERS: Record<IdentifierField, string> = {
  patient_first_name: '[Vorname]',
  patient_last_name: '[Name]',
  patient_dob: '[Geburtsdatum]',
  patient_gender: '[Geschlecht]',
  casenumber: '[Fallnummer]',
  examination_date: '[Untersuchungsdatum]',
  examiner_first_name: '[Vorname Untersucher]',
  examiner_last_name: '[Name Untersucher]',
  endoscope_type: '[Endoskop]',
  endoscope_sn: '[Seriennummer]',
  external_id: '[Patienten-ID]',
};

export interface ReplacementResult {
  readonly text: string;
  /** How many spans were replaced per field (no values). */
  readonly counts: Partial<Record<IdentifierField, number>>;
}

/**
 * Replaces every occurrence of every known identifier (exact, fuzzy, name parts,
 * dates in any written form) with its pseudonym. Deterministic: the same text,
 * identifiers and pseudonyms always give the same result.
 */
export function replaceIdentifiers(text: string, identifiers: readonly KnownIdentifier[], replacements: Replacements): ReplacementResult {
  const matcher = new IdentifierMatcher(identifiers);
  const counts: Partial<Record<IdentifierField, number>> = {};
  let out = '';
  let cursor = 0;
  for (const hit of mergeHits(matcher.find(text))) {
    out += text.slice(cursor, hit.start) + (replacements[hit.field] ?? PLACEHOLDERS[hit.field]);
    cursor = hit.end;
    counts[hit.field] = (counts[hit.field] ?? 0) + 1;
  }
  return { text: out + text.slice(cursor), counts };
}

import { SEARCHED_FIELDS, type IdentifierMatcher, type HitKind, type IdentifierField, type KnownIdentifier } from './identifiers/index.js';

/**
 * The verified-release gate shared by PDFs and videos: after every anonymization
 * run the output is searched for every identifier known from SensitiveMeta, and
 * a hit blocks the file. A result names the field and where it was found,
 * never the value, so it can be stored in the processing history, shown to the
 * validator and logged.
 */

/** One searchable text taken from the output, e.g. the OCR of page 2 or the XMP packet. */
export interface GateSource {
  /** Machine name of the place, e.g. `text-layer:page-2`, `ocr:frame-120`, `container-metadata`. */
  readonly location: string;
  /** The same place in German for the validator, e.g. "Textebene, Seite 2". */
  readonly label: string;
  readonly text: string;
}

export interface GateFinding {
  readonly field: IdentifierField;
  readonly location: string;
  readonly label: string;
  /** Strongest kind of match at this place (exact beats date beats fuzzy beats part). */
  readonly kind: HitKind;
  readonly count: number;
}

export type GateStatus = 'passed' | 'blocked' | 'not_verifiable';

export interface ReleaseGateResult {
  readonly schema_version: '1';
  readonly media_type: 'pdf' | 'video';
  /**
   * `blocked`: an identifier or a forbidden structure was found, the file must
   * go to `failed`. `not_verifiable`: nothing known to search for (no
   * identifiers in SensitiveMeta), a human decides. `passed`: searched, clean.
   */
  readonly status: GateStatus;
  readonly checked_at: string;
  readonly checked_fields: readonly IdentifierField[];
  /** How many texts of each kind were searched, e.g. `{ "text-layer": 3, "ocr": 3, "xmp": 0 }`. */
  readonly checked_sources: Readonly<Record<string, number>>;
  readonly findings: readonly GateFinding[];
  /** German sentences for the validator, one per finding or structural problem. */
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
  readonly output_sha256?: string;
  readonly duration_ms: number;
}

export const FIELD_LABELS_DE: Record<IdentifierField, string> = {
  patient_first_name: 'Vorname',
  patient_last_name: 'Nachname',
  patient_dob: 'Geburtsdatum',
  patient_gender: 'Geschlecht',
  casenumber: 'Fallnummer',
  examination_date: 'Untersuchungsdatum',
  examiner_first_name: 'Vorname des Untersuchers',
  examiner_last_name: 'Nachname des Untersuchers',
  endoscope_type: 'Endoskoptyp',
  endoscope_sn: 'Endoskop-Seriennummer',
  external_id: 'Patienten-ID',
};

/** The SensitiveMeta columns the gate reads; any record with these names fits. */
export type SensitiveMetaIdentifiers = Partial<Record<IdentifierField, string | null | undefined>>;

/**
 * The identifiers to search for, from a SensitiveMeta record. Gender and the
 * endoscope model identify nobody; the center name is the letterhead of every
 * report of the center and is deliberately not searched.
 */
export function knownIdentifiersOf(meta: SensitiveMetaIdentifiers): KnownIdentifier[] {
  const out: KnownIdentifier[] = [];
  for (const field of SEARCHED_FIELDS) {
    const value = meta[field];
    if (typeof value === 'string' && value.trim() !== '') out.push({ field, value });
  }
  return out;
}

const KIND_RANK: Record<HitKind, number> = { exact: 4, date: 3, fuzzy: 2, part: 1 };

/** Searches every source; findings are aggregated per field and place. */
export function searchSources(matcher: IdentifierMatcher, sources: Iterable<GateSource>): { findings: GateFinding[]; checkedSources: Record<string, number> } {
  const findings = new Map<string, GateFinding>();
  const checkedSources: Record<string, number> = {};
  for (const source of sources) {
    const kind = source.location.split(':')[0] as string;
    checkedSources[kind] = (checkedSources[kind] ?? 0) + 1;
    if (source.text.trim() === '') continue;
    for (const hit of matcher.find(source.text)) {
      const key = `${hit.field}|${source.location}`;
      const existing = findings.get(key);
      findings.set(key, {
        field: hit.field,
        location: source.location,
        label: source.label,
        kind: existing && KIND_RANK[existing.kind] >= KIND_RANK[hit.kind] ? existing.kind : hit.kind,
        count: (existing?.count ?? 0) + 1,
      });
    }
  }
  return { findings: [...findings.values()], checkedSources };
}

/** Assembles a gate result; `structuralReasons` block on their own (e.g. an attachment in the output). */
export function gateResult(input: {
  mediaType: 'pdf' | 'video';
  matcher: IdentifierMatcher;
  findings: readonly GateFinding[];
  checkedSources: Readonly<Record<string, number>>;
  structuralReasons?: readonly string[];
  warnings?: readonly string[];
  outputSha256?: string;
  startedAt: number;
}): ReleaseGateResult {
  const reasons = [
    ...input.findings.map((f) => `${FIELD_LABELS_DE[f.field]} gefunden: ${f.label} (${f.count}×${f.kind === 'exact' || f.kind === 'date' ? '' : ', ähnliche Schreibweise'})`),
    ...(input.structuralReasons ?? []),
  ];
  const status: GateStatus = reasons.length > 0 ? 'blocked' : input.matcher.isEmpty ? 'not_verifiable' : 'passed';
  return {
    schema_version: '1',
    media_type: input.mediaType,
    status,
    checked_at: new Date().toISOString(),
    checked_fields: input.matcher.fields,
    checked_sources: input.checkedSources,
    findings: input.findings,
    reasons,
    warnings: [...(input.warnings ?? []), ...(input.matcher.isEmpty ? ['Keine bekannten Identifikatoren: die Ausgabe konnte nicht automatisch geprüft werden.'] : [])],
    ...(input.outputSha256 ? { output_sha256: input.outputSha256 } : {}),
    duration_ms: Date.now() - input.startedAt,
  };
}


import type { JsonValue } from './python-json.js';
import type { SapNormalizedRow } from './sap-template-match.js';
import { SAP_DOCUMENT_TYPES, TEXT_DOCUMENT_TYPES, TEXT_FIELDS, TIMESTAMP_FIELDS, type SapDocumentType } from './sap-templates.js';
import {
  compareCodePoints,
  dateTimeSortKey,
  formatDate,
  formatDateTimeSeconds,
  formatTime,
  isSapDateTime,
  normalizeGender,
  pyStr,
  pyStrip,
  truthy,
  type SapDateTime,
} from './sap-values.js';

/** One watcher drop pair before it is written: `<stem>.txt` carries the text, `<stem>.json` the metadata. */
export interface SapDropFile {
  readonly stem: string;
  readonly documentType: SapDocumentType;
  /** Carrier file content (text plus one newline). */
  readonly carrierText: string;
  readonly sidecar: ReadonlyMap<string, JsonValue>;
}

export interface SapPayloadOptions {
  readonly sourceSystem: string;
  readonly centerName?: string | undefined;
  readonly centerKey?: string | undefined;
}

const SUMMARY_HEADLINE = 'Case summary generated from SAP IS-H tabular export';
const SUMMARY_DETAIL_ROWS = 5;
const ANCHOR_RANK: ReadonlyMap<SapDocumentType, number> = new Map(SAP_DOCUMENT_TYPES.map((t, i) => [t, i]));

const str = (row: SapNormalizedRow, field: string): string | null => {
  const value = row.canonical.get(field);
  return typeof value === 'string' && value !== '' ? value : null;
};

function rowTimestamp(row: SapNormalizedRow): SapDateTime | null {
  for (const field of TIMESTAMP_FIELDS) {
    const value = row.canonical.get(field);
    if (isSapDateTime(value)) return value;
  }
  return null;
}

function preferredText(row: SapNormalizedRow): string | null {
  for (const field of TEXT_FIELDS) {
    const value = row.canonical.get(field);
    if (typeof value === 'string' && pyStrip(value) !== '') return pyStrip(value);
  }
  return null;
}

/** Type priority, then earliest timestamp (rows without one last), then file name and row number. */
function pickAnchor(rows: readonly SapNormalizedRow[]): SapNormalizedRow {
  const keyOf = (row: SapNormalizedRow): [number, string, string, number] => {
    const t = rowTimestamp(row);
    return [ANCHOR_RANK.get(row.documentType) ?? ANCHOR_RANK.size, t ? dateTimeSortKey(t) : '\uffff', row.sourceFile, row.rowNumber];
  };
  let best = rows[0]!;
  let bestKey = keyOf(best);
  for (const row of rows.slice(1)) {
    const k = keyOf(row);
    const order = k[0] - bestKey[0] || compareCodePoints(k[1], bestKey[1]) || compareCodePoints(k[2], bestKey[2]) || k[3] - bestKey[3];
    if (order < 0) {
      best = row;
      bestKey = k;
    }
  }
  return best;
}

const DETAIL_BUILDERS: Partial<Record<SapDocumentType, (row: SapNormalizedRow) => string[]>> = {
  diagnosen: (row) => {
    const code = row.canonical.get('diagnoseschluessel_1');
    return truthy(code) ? [`code=${pyStr(code!)}`] : [];
  },
  labor: (row) => {
    const name = truthy(row.canonical.get('leistungstext')) ? row.canonical.get('leistungstext') : row.canonical.get('leistung');
    const value = row.canonical.get('messwert');
    return [...(truthy(name) ? [pyStr(name!)] : []), ...(truthy(value) ? [`value=${pyStr(value!)}`] : [])];
  },
  prozeduren: (row) => {
    const code = row.canonical.get('op_code');
    return truthy(code) ? [`op_code=${pyStr(code!)}`] : [];
  },
  bewegungen: (row) => {
    const details: string[] = [];
    for (const field of ['behandlungsort', 'fachabteilung']) {
      const value = row.canonical.get(field);
      if (truthy(value)) details.push(pyStr(value!));
    }
    const room = row.canonical.get('zimmer');
    if (truthy(room)) details.push(`room=${pyStr(room!)}`);
    return details;
  },
  pathodocs: (row) => {
    const id = row.canonical.get('dokumentnummer');
    const type = row.canonical.get('dokumenttyp_id');
    return [...(truthy(id) ? [`document_id=${pyStr(id!)}`] : []), ...(truthy(type) ? [`type=${pyStr(type!)}`] : [])];
  },
  meona_medikamente: (row) => {
    const name = row.canonical.get('tradename');
    const dose = row.canonical.get('actual_dose');
    const unit = row.canonical.get('unit_dose_name');
    return [...(truthy(name) ? [pyStr(name!)] : []), ...(truthy(dose) ? [`dose=${pyStr(dose!)}`] : []), ...(truthy(unit) ? [pyStr(unit!)] : [])];
  },
};

/**
 * The generated carrier text for a case without its own clinical text (§7): a headline with
 * PatientNr/FallNr of the anchor row, then per document type `<type>: n row(s)` and up to
 * five `- detail | detail` lines.
 */
export function buildCaseSummary(rows: readonly SapNormalizedRow[]): string {
  const anchor = pickAnchor(rows);
  const patientNr = anchor.canonical.get('patient_nr');
  const fallNr = anchor.canonical.get('fall_nr');
  const lines: string[] = [];
  if (truthy(patientNr) || truthy(fallNr)) {
    lines.push(SUMMARY_HEADLINE);
    if (truthy(patientNr)) lines.push(`PatientNr: ${pyStr(patientNr!)}`);
    if (truthy(fallNr)) lines.push(`FallNr: ${pyStr(fallNr!)}`);
  }
  for (const type of SAP_DOCUMENT_TYPES) {
    const ofType = rows.filter((r) => r.documentType === type);
    if (ofType.length === 0) continue;
    lines.push(`${type}: ${ofType.length} row(s)`);
    for (const row of ofType.slice(0, SUMMARY_DETAIL_ROWS)) {
      const t = rowTimestamp(row);
      const details = [...(t ? [formatDateTimeSeconds(t)] : []), ...(DETAIL_BUILDERS[type]?.(row) ?? [])];
      if (details.length > 0) lines.push(`- ${details.join(' | ')}`);
    }
  }
  return pyStrip(lines.join('\n'));
}

const mapOf = (m: ReadonlyMap<string, string | null>): Map<string, JsonValue> => new Map(m);

function enrichedRawColumns(primary: SapNormalizedRow, related: readonly SapNormalizedRow[]): Map<string, JsonValue> {
  const byType = new Map<string, JsonValue[]>();
  for (const row of related) {
    const list = byType.get(row.documentType) ?? [];
    list.push(
      new Map<string, JsonValue>([
        ['source_file', row.sourceFile],
        ['row_number', row.rowNumber],
        ['raw_columns', mapOf(row.rawColumns)],
        ['unknown_columns', mapOf(row.unknownColumns)],
      ]),
    );
    byType.set(row.documentType, list);
  }
  return new Map<string, JsonValue>([
    [
      'primary_row',
      new Map<string, JsonValue>([
        ['document_type', primary.documentType],
        ['source_file', primary.sourceFile],
        ['row_number', primary.rowNumber],
        ['raw_columns', mapOf(primary.rawColumns)],
      ]),
    ],
    ['related_rows_by_type', byType],
    ['source_files', [...new Set(related.map((r) => r.sourceFile))].sort(compareCodePoints)],
  ]);
}

/** Python truthiness of a sidecar value; the original drops None, "" and {} from the payload. */
function isEmpty(value: JsonValue | undefined): boolean {
  return value === undefined || value === null || value === '' || (value instanceof Map && value.size === 0);
}

/** The sidecar of one output (§7): the primary row's fields, completed from the related rows. */
export function buildSidecar(primary: SapNormalizedRow, related: readonly SapNormalizedRow[], options: SapPayloadOptions): { sidecar: Map<string, JsonValue>; text: string } {
  const sidecar = new Map<string, JsonValue>();
  const set = (key: string, value: JsonValue | undefined): void => {
    if (!isEmpty(value)) sidecar.set(key, value!);
  };
  set('external_id', str(primary, 'patient_nr') ?? str(primary, 'source_patient_id'));
  set('external_id_origin', options.sourceSystem);
  set('casenumber', str(primary, 'fall_nr'));
  set('source_system', options.sourceSystem);
  set('source_document_type', primary.documentType);
  set('original_document_id', str(primary, 'dokumentnummer') ?? str(primary, 'main_order_id') ?? str(primary, 'medication_row_id'));
  set('original_document_version', str(primary, 'dokumentversion'));
  set('center_name', options.centerName);
  set('center_key', options.centerKey);

  const text = preferredText(primary) ?? buildCaseSummary(related);
  set('anonymized_text', text);
  set('text', text);

  const gender = normalizeGender(primary.canonical.get('geschlecht')) ?? related.map((r) => normalizeGender(r.canonical.get('geschlecht'))).find((g) => g !== null);
  set('patient_gender', gender ?? null);

  let timestamp = rowTimestamp(primary);
  if (!timestamp) {
    for (const t of related.map(rowTimestamp)) if (t && (!timestamp || dateTimeSortKey(t) < dateTimeSortKey(timestamp))) timestamp = t;
  }
  if (timestamp) {
    set('examination_date', formatDate(timestamp));
    set('examination_time', formatTime(timestamp));
  }
  set('raw_columns', enrichedRawColumns(primary, related));
  return { sidecar, text };
}

/** Python-style token: letters and digits lowercased, `-`/`_` kept, anything else `_`, outer `_` trimmed. */
export function slugToken(value: JsonValue | undefined, fallback: string): string {
  if (typeof value !== 'string' || pyStrip(value) === '') return fallback;
  let token = '';
  for (const ch of pyStrip(value)) token += /[\p{L}\p{N}]/u.test(ch) ? ch.toLowerCase() : ch === '-' || ch === '_' ? ch : '_';
  token = token.replace(/^_+|_+$/g, '');
  return token === '' ? fallback : token;
}

const caseKeyOf = (row: SapNormalizedRow): [string, string] | null => {
  const patient = str(row, 'patient_nr');
  const fall = str(row, 'fall_nr');
  return patient !== null && fall !== null ? [patient, fall] : null;
};
const patientKeyOf = (row: SapNormalizedRow): string | null => str(row, 'patient_nr') ?? str(row, 'source_patient_id');

/**
 * Groups rows into outputs exactly as §7: a case is PatientNr+FallNr; rows with only a
 * patient number join every case of that patient; each case yields one output per
 * text-bearing cwd/briefe/radiologie row, else one for its anchor row; a patient without
 * any case yields one output. Rows without any patient number produce nothing.
 * `rows` must be in table order (tables sorted by path, rows by number).
 */
export function buildDropFiles(rows: readonly SapNormalizedRow[], options: SapPayloadOptions): SapDropFile[] {
  const byCase = new Map<string, { key: [string, string]; rows: SapNormalizedRow[] }>();
  const byPatient = new Map<string, SapNormalizedRow[]>();
  const patientsWithCases = new Set<string>();
  for (const row of rows) {
    const caseKey = caseKeyOf(row);
    const patientKey = patientKeyOf(row);
    if (caseKey) {
      const id = JSON.stringify(caseKey);
      const group = byCase.get(id) ?? { key: caseKey, rows: [] };
      group.rows.push(row);
      byCase.set(id, group);
      patientsWithCases.add(caseKey[0]);
    } else if (patientKey !== null) {
      const list = byPatient.get(patientKey) ?? [];
      list.push(row);
      byPatient.set(patientKey, list);
    }
  }

  const outputs: SapDropFile[] = [];
  const emit = (primary: SapNormalizedRow, related: readonly SapNormalizedRow[]): void => {
    const index = outputs.length + 1;
    const { sidecar, text } = buildSidecar(primary, related, options);
    const number = String(index).padStart(4, '0');
    const stem = [
      'sap_ish',
      number,
      slugToken(primary.documentType, 'document'),
      slugToken(sidecar.get('external_id'), 'patient'),
      slugToken(sidecar.get('casenumber'), `case_${number}`),
    ].join('_');
    outputs.push({ stem, documentType: primary.documentType, carrierText: `${pyStrip(text)}\n`, sidecar });
  };

  const cases = [...byCase.values()].sort((a, b) => compareCodePoints(a.key[0], b.key[0]) || compareCodePoints(a.key[1], b.key[1]));
  for (const group of cases) {
    const related = [...group.rows, ...(byPatient.get(group.key[0]) ?? [])];
    const textRows = related.filter((r) => TEXT_DOCUMENT_TYPES.has(r.documentType) && preferredText(r) !== null);
    for (const primary of textRows.length > 0 ? textRows : [pickAnchor(related)]) emit(primary, related);
  }
  for (const patient of [...byPatient.keys()].sort(compareCodePoints)) {
    if (patientsWithCases.has(patient)) continue;
    const related = byPatient.get(patient)!;
    emit(pickAnchor(related), related);
  }
  return outputs;
}

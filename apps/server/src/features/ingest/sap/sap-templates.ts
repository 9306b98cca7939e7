/**
 * The SAP IS-H table templates (reference-contracts §7). The original kept them in a YAML
 * registry; here they are data in a module so the types are checked at build time.
 * Column names are the export's header spellings; `target` is the canonical snake_case
 * field every later step (grouping, summary, sidecar) reads.
 */
export type SapValueType = 'str' | 'int' | 'bool' | 'datetime';

export interface SapColumnTemplate {
  readonly source: string;
  readonly target: string;
  readonly type: SapValueType;
}

export interface SapDocumentTemplate {
  readonly documentType: SapDocumentType;
  readonly description: string;
  readonly requiredColumns: readonly string[];
  readonly columns: readonly SapColumnTemplate[];
}

/** Every supported document type, in the anchor priority order of §7. */
export const SAP_DOCUMENT_TYPES = [
  'cwd',
  'briefe',
  'radiologie',
  'pathodocs',
  'prozeduren',
  'diagnosen',
  'labor',
  'bewegungen',
  'meona_medikamente',
  'stammdaten',
  'patienten',
] as const;
export type SapDocumentType = (typeof SAP_DOCUMENT_TYPES)[number];

const col = (source: string, target: string, type: SapValueType = 'str'): SapColumnTemplate => ({ source, target, type });
const patientNr = col('PatientNr', 'patient_nr');
const fallNr = col('FallNr', 'fall_nr');

export const SAP_TEMPLATES: readonly SapDocumentTemplate[] = [
  {
    documentType: 'cwd',
    description: 'Clinical ward document export with anonymized text payload.',
    requiredColumns: ['PatientNr', 'FallNr', 'Dokumentzeit', 'Dokumentnummer', 'Dokumentversion', 'pmdAnam'],
    columns: [
      patientNr,
      fallNr,
      col('Dokumentzeit', 'dokumentzeit', 'datetime'),
      col('Dokumentnummer', 'dokumentnummer'),
      col('Dokumentversion', 'dokumentversion'),
      col('pmdAnam', 'pmd_anam'),
    ],
  },
  {
    documentType: 'bewegungen',
    description: 'Movement/location export.',
    requiredColumns: ['PatientNr', 'FallNr', 'Zugangszeit', 'Behandlungsort', 'Fachabteilung', 'Zimmer'],
    columns: [
      patientNr,
      fallNr,
      col('Zugangszeit', 'zugangszeit', 'datetime'),
      col('Behandlungsort', 'behandlungsort'),
      col('Fachabteilung', 'fachabteilung'),
      col('Zimmer', 'zimmer'),
    ],
  },
  {
    documentType: 'briefe',
    description: 'Letter export with generated text content.',
    requiredColumns: ['PatientNr', 'FallNr', 'dateErstellzeit', 'strText'],
    columns: [patientNr, fallNr, col('dateErstellzeit', 'date_erstellzeit', 'datetime'), col('strText', 'str_text')],
  },
  {
    documentType: 'diagnosen',
    description: 'Diagnosis export.',
    requiredColumns: ['PatientNr', 'FallNr', 'Diagnoseschluessel1', 'Diagnosezeit'],
    columns: [
      patientNr,
      fallNr,
      col('Diagnoseschluessel1', 'diagnoseschluessel_1'),
      col('Diagnosezeit', 'diagnosezeit', 'datetime'),
      col('KzAufnahmediagnose', 'kz_aufnahmediagnose', 'bool'),
      col('KzBehandlungsdiagnose', 'kz_behandlungsdiagnose', 'bool'),
      col('KzEntlassdiagnose', 'kz_entlassdiagnose', 'bool'),
      col('KzFachabteilungshauptdiagnose', 'kz_fachabteilungshauptdiagnose', 'bool'),
      col('KzKrankenhaushauptdiagnose', 'kz_krankenhaushauptdiagnose', 'bool'),
      col('KzNebendiagnose', 'kz_nebendiagnose', 'bool'),
      col('KzOperationsdiagnose', 'kz_operationsdiagnose', 'bool'),
    ],
  },
  {
    documentType: 'labor',
    description: 'Laboratory measurements export.',
    requiredColumns: ['PatientNr', 'FallNr', 'Dokumentzeit', 'Leistung', 'Leistungstext', 'Messwert'],
    columns: [
      patientNr,
      fallNr,
      col('Dokumentzeit', 'dokumentzeit', 'datetime'),
      col('Leistung', 'leistung'),
      col('Leistungstext', 'leistungstext'),
      col('Messwert', 'messwert'),
    ],
  },
  {
    documentType: 'meona_medikamente',
    description: 'Medication export from Meona.',
    requiredColumns: ['PatientNr', 'id', 'tradename', 'patient_id', 'apply_date'],
    columns: [
      patientNr,
      col('id', 'medication_row_id'),
      col('tradename', 'tradename'),
      col('patient_id', 'source_patient_id'),
      col('apply_date', 'apply_date', 'datetime'),
      col('prepare_date', 'prepare_date', 'datetime'),
      col('creation_date', 'creation_date', 'datetime'),
      col('actual_dose', 'actual_dose'),
      col('unit_dose_name', 'unit_dose_name'),
      col('main_application_id', 'main_application_id'),
      col('main_order_id', 'main_order_id'),
      col('status', 'status'),
    ],
  },
  {
    documentType: 'pathodocs',
    description: 'Pathology document export.',
    requiredColumns: ['PatientNr', 'FallNr', 'Dokumentnummer', 'Dokumentzeit', 'DokumenttypID'],
    columns: [
      patientNr,
      fallNr,
      col('Dokumentnummer', 'dokumentnummer'),
      col('Dokumentzeit', 'dokumentzeit', 'datetime'),
      col('DokumenttypID', 'dokumenttyp_id'),
    ],
  },
  {
    documentType: 'patienten',
    description: 'Patient master data without case reference.',
    requiredColumns: ['PatientNr', 'PatientAlter', 'Geschlecht'],
    columns: [patientNr, col('PatientAlter', 'patient_alter', 'int'), col('Geschlecht', 'geschlecht')],
  },
  {
    documentType: 'prozeduren',
    description: 'Procedure export.',
    requiredColumns: ['PatientNr', 'FallNr', 'OPCode', 'Beginnzeit'],
    columns: [patientNr, fallNr, col('OPCode', 'op_code'), col('Beginnzeit', 'beginnzeit', 'datetime')],
  },
  {
    documentType: 'radiologie',
    description: 'Radiology export with short and long report sections.',
    requiredColumns: ['PatientNr', 'FallNr', 'Dokumentzeit', 'Dokumentnummer', 'Dokumentversion'],
    columns: [
      patientNr,
      fallNr,
      col('Dokumentzeit', 'dokumentzeit', 'datetime'),
      col('Dokumentnummer', 'dokumentnummer'),
      col('Dokumentversion', 'dokumentversion'),
      col('kurbefund', 'kurbefund'),
      col('befund', 'befund'),
      col('beurteilung', 'beurteilung'),
    ],
  },
  {
    documentType: 'stammdaten',
    description: 'Patient and case master data.',
    requiredColumns: ['PatientNr', 'FallNr', 'PatientAlter', 'Geschlecht'],
    columns: [patientNr, fallNr, col('PatientAlter', 'patient_alter', 'int'), col('Geschlecht', 'geschlecht')],
  },
];

/** Document types whose rows carry clinical text; each text-bearing row becomes its own output. */
export const TEXT_DOCUMENT_TYPES: ReadonlySet<SapDocumentType> = new Set(['cwd', 'briefe', 'radiologie']);

/** Canonical fields holding text, in the order the carrier text is taken from. */
export const TEXT_FIELDS = ['pmd_anam', 'str_text', 'befund', 'kurbefund', 'beurteilung'] as const;

/** Canonical timestamp fields; a row's timestamp is the first of these that parsed. */
export const TIMESTAMP_FIELDS = [
  'dokumentzeit',
  'date_erstellzeit',
  'zugangszeit',
  'diagnosezeit',
  'beginnzeit',
  'apply_date',
  'prepare_date',
  'creation_date',
] as const;

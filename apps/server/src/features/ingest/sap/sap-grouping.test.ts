import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonJsonDumps } from './python-json.js';
import { buildCaseSummary, buildDropFiles } from './sap-grouping.js';
import { parseSapTable } from './sap-table.js';
import { normalizeRow, resolveTemplate, type SapNormalizedRow } from './sap-template-match.js';

const table = (header: string[], rows: string[][]): string => [header, ...rows].map((r) => r.join('\t')).join('\n') + '\n';

/** Rows of several tables, in the order the importer feeds them (sorted by path). */
function rowsOf(tables: Record<string, string>): SapNormalizedRow[] {
  return Object.keys(tables)
    .sort()
    .flatMap((name) => {
      const parsed = parseSapTable(Buffer.from(tables[name]!, 'utf8'));
      const match = resolveTemplate(parsed.headers);
      return parsed.rows.map((r) => normalizeRow(r.cells, match, { memberPath: name, sourceFile: name.split('/').pop()!, rowNumber: r.rowNumber }));
    });
}

const LABOR = ['PatientNr', 'FallNr', 'Dokumentzeit', 'Leistung', 'Leistungstext', 'Messwert'];
const BRIEFE = ['PatientNr', 'FallNr', 'dateErstellzeit', 'strText'];
const PATIENTEN = ['PatientNr', 'PatientAlter', 'Geschlecht'];

describe('SAP case summary', () => {
  it('is the exact text of §7: headline, PatientNr/FallNr, per type a count and up to five details', () => {
    const rows = rowsOf({
      'Labor.txt': table(LABOR, [
        ['2002', '3002', '2024-05-17 06:45:00', 'CRP', 'C-reaktives Protein', '4,2'],
        ['2002', '3002', '2024-05-17 07:00:00', 'HB', '', '13,1'],
        ['2002', '3002', '2024-05-17 08:00:00', 'LEUK', 'Leukozyten', ''],
        ['2002', '3002', '', 'NA', 'Natrium', '139'],
        ['2002', '3002', '2024-05-18 06:00:00', 'K', 'Kalium', '4,1'],
        ['2002', '3002', '2024-05-19 06:00:00', 'CRP', 'C-reaktives Protein', '1,0'],
      ]),
      'Bewegungen.txt': table(['PatientNr', 'FallNr', 'Zugangszeit', 'Behandlungsort', 'Fachabteilung', 'Zimmer'], [['2002', '3002', '17.05.2024 06:30', 'Station Süd', 'Gastroenterologie', '12']]),
      'Diagnosen.txt': table(['PatientNr', 'FallNr', 'Diagnoseschluessel1', 'Diagnosezeit'], [['2002', '3002', 'K52.9', '2024-05-16 08:00']]),
      'Prozeduren.txt': table(['PatientNr', 'FallNr', 'OPCode', 'Beginnzeit'], [['2002', '3002', '1-650.2', '2024-05-17 09:15:30.75']]),
      'Pathodocs.txt': table(['PatientNr', 'FallNr', 'Dokumentnummer', 'Dokumentzeit', 'DokumenttypID'], [['2002', '3002', 'PA-17', '2024-05-20', 'HIST']]),
      'Meona.txt': table(['PatientNr', 'id', 'tradename', 'patient_id', 'apply_date', 'actual_dose', 'unit_dose_name', 'status'], [['2002', 'med-1', 'Metamizol', '2002', '2024-05-17 07:00:00', '500', 'mg', 'given']]),
      'Stammdaten.txt': table(['PatientNr', 'FallNr', 'PatientAlter', 'Geschlecht'], [['2002', '3002', '51', 'männlich']]),
    });
    assert.equal(
      buildCaseSummary(rows),
      [
        'Case summary generated from SAP IS-H tabular export',
        'PatientNr: 2002',
        'FallNr: 3002',
        'pathodocs: 1 row(s)',
        '- 2024-05-20 00:00:00 | document_id=PA-17 | type=HIST',
        'prozeduren: 1 row(s)',
        '- 2024-05-17 09:15:30 | op_code=1-650.2',
        'diagnosen: 1 row(s)',
        '- 2024-05-16 08:00:00 | code=K52.9',
        'labor: 6 row(s)',
        '- 2024-05-17 06:45:00 | C-reaktives Protein | value=4,2',
        '- 2024-05-17 07:00:00 | HB | value=13,1',
        '- 2024-05-17 08:00:00 | Leukozyten',
        '- Natrium | value=139',
        '- 2024-05-18 06:00:00 | Kalium | value=4,1',
        'bewegungen: 1 row(s)',
        '- 2024-05-17 06:30:00 | Station Süd | Gastroenterologie | room=12',
        'meona_medikamente: 1 row(s)',
        '- 2024-05-17 07:00:00 | Metamizol | dose=500 | mg',
        'stammdaten: 1 row(s)',
      ].join('\n'),
    );
  });

  it('has no headline when the anchor row carries neither PatientNr nor FallNr', () => {
    const rows = rowsOf({ 'Meona.txt': table(['PatientNr', 'id', 'tradename', 'patient_id', 'apply_date'], [['', 'med-9', 'Ibuprofen', 'P-9', '']]) });
    assert.equal(buildCaseSummary(rows), 'meona_medikamente: 1 row(s)\n- Ibuprofen');
  });
});

describe('SAP grouping into drop files', () => {
  const rows = rowsOf({
    'a/Briefe.txt': table(BRIEFE, [
      ['1001', '5001', '2024-05-17 09:30', 'Arztbrief eins'],
      ['1001', '5001', '2024-05-18 09:30', '   '],
      ['1001', '5001', '2024-05-19 09:30', 'Arztbrief zwei'],
      ['1001', '', '2024-05-01 08:00', 'Brief ohne Fall'],
    ]),
    'b/Labor.txt': table(LABOR, [
      ['1001', '5002', '2024-06-01 07:00', 'CRP', 'CRP', '3'],
      ['', '5003', '2024-06-01 07:00', 'CRP', 'CRP', '3'],
    ]),
    'c/Patienten.txt': table(PATIENTEN, [
      ['1001', '70', 'W'],
      ['0999', '44', 'M'],
    ]),
    'd/Radiologie.txt': table(['PatientNr', 'FallNr', 'Dokumentzeit', 'Dokumentnummer', 'Dokumentversion', 'kurbefund', 'befund', 'beurteilung'], [
      ['1002', 'F/7', '2024-04-02 10:00', 'RAD-1', '2', '', '', 'Kein Nachweis'],
      ['1003', '9001', '2024-04-03 10:00', 'RAD-2', '1', '', '', ''],
    ]),
  });
  const files = buildDropFiles(rows, { sourceSystem: 'sap_ish' });

  it('orders cases by PatientNr and FallNr, then patients without a case, numbering every output', () => {
    assert.deepEqual(
      files.map((f) => f.stem),
      [
        'sap_ish_0001_briefe_1001_5001',
        'sap_ish_0002_briefe_1001_5001',
        // A patient-level letter has no FallNr of its own: the case token falls back to case_<NNNN>.
        'sap_ish_0003_briefe_1001_case_0003',
        'sap_ish_0004_briefe_1001_case_0004',
        'sap_ish_0005_radiologie_1002_f_7',
        'sap_ish_0006_radiologie_1003_9001',
        'sap_ish_0007_patienten_0999_case_0007',
      ],
    );
  });

  it('gives every text-bearing row of a case its own output; patient-level rows join every case', () => {
    assert.deepEqual(
      files.slice(0, 4).map((f) => f.carrierText),
      ['Arztbrief eins\n', 'Arztbrief zwei\n', 'Brief ohne Fall\n', 'Brief ohne Fall\n'],
    );
    const case5002 = files[3]!.sidecar.get('raw_columns') as Map<string, Map<string, unknown>>;
    assert.deepEqual([...case5002.get('related_rows_by_type')!.keys()], ['labor', 'briefe', 'patienten']);
    assert.equal(files[3]!.sidecar.get('patient_gender'), 'female');
    assert.equal(files[3]!.sidecar.get('casenumber'), undefined);
    assert.equal(files[3]!.sidecar.get('examination_date'), '2024-05-01');
  });

  it('uses beurteilung when kurbefund and befund are empty, and a summary for rows without text', () => {
    assert.equal(files[4]!.carrierText, 'Kein Nachweis\n');
    assert.equal(
      files[5]!.carrierText,
      'Case summary generated from SAP IS-H tabular export\nPatientNr: 1003\nFallNr: 9001\nradiologie: 1 row(s)\n- 2024-04-03 10:00:00\n',
    );
  });

  it('drops rows without any patient number and gives a patient without a case one output', () => {
    assert.ok(!files.some((f) => f.stem.includes('5003')));
    assert.equal(files[6]!.carrierText, 'Case summary generated from SAP IS-H tabular export\nPatientNr: 0999\npatienten: 1 row(s)\n');
  });

  it('writes the sidecar with exactly the listed fields, sorted, ASCII-escaped, empty values omitted', () => {
    const [file] = buildDropFiles(
      rowsOf({
        'Briefe.txt': table(BRIEFE, [['2001', '3001', '2024-05-17 09:30:00', 'Bösartiger Befund – „Kontrolle“']]),
        'Diagnosen.txt': table(['PatientNr', 'FallNr', 'Diagnoseschluessel1', 'Diagnosezeit', 'Zusatz'], [['2001', '3001', 'K52.9', '2024-05-16 08:00:00', 'ä']]),
        'Patienten.txt': table(PATIENTEN, [['2001', '64', 'weiblich']]),
      }),
      { sourceSystem: 'sap_ish_test', centerKey: 'uk-wuerzburg', centerName: 'university_hospital_wuerzburg' },
    );
    assert.equal(
      pythonJsonDumps(file!.sidecar),
      `{
  "anonymized_text": "B\\u00f6sartiger Befund \\u2013 \\u201eKontrolle\\u201c",
  "casenumber": "3001",
  "center_key": "uk-wuerzburg",
  "center_name": "university_hospital_wuerzburg",
  "examination_date": "2024-05-17",
  "examination_time": "09:30:00",
  "external_id": "2001",
  "external_id_origin": "sap_ish_test",
  "patient_gender": "female",
  "raw_columns": {
    "primary_row": {
      "document_type": "briefe",
      "raw_columns": {
        "FallNr": "3001",
        "PatientNr": "2001",
        "dateErstellzeit": "2024-05-17 09:30:00",
        "strText": "B\\u00f6sartiger Befund \\u2013 \\u201eKontrolle\\u201c"
      },
      "row_number": 2,
      "source_file": "Briefe.txt"
    },
    "related_rows_by_type": {
      "briefe": [
        {
          "raw_columns": {
            "FallNr": "3001",
            "PatientNr": "2001",
            "dateErstellzeit": "2024-05-17 09:30:00",
            "strText": "B\\u00f6sartiger Befund \\u2013 \\u201eKontrolle\\u201c"
          },
          "row_number": 2,
          "source_file": "Briefe.txt",
          "unknown_columns": {}
        }
      ],
      "diagnosen": [
        {
          "raw_columns": {
            "Diagnoseschluessel1": "K52.9",
            "Diagnosezeit": "2024-05-16 08:00:00",
            "FallNr": "3001",
            "PatientNr": "2001"
          },
          "row_number": 2,
          "source_file": "Diagnosen.txt",
          "unknown_columns": {
            "Zusatz": "\\u00e4"
          }
        }
      ],
      "patienten": [
        {
          "raw_columns": {
            "Geschlecht": "weiblich",
            "PatientAlter": "64",
            "PatientNr": "2001"
          },
          "row_number": 2,
          "source_file": "Patienten.txt",
          "unknown_columns": {}
        }
      ]
    },
    "source_files": [
      "Briefe.txt",
      "Diagnosen.txt",
      "Patienten.txt"
    ]
  },
  "source_document_type": "briefe",
  "source_system": "sap_ish_test",
  "text": "B\\u00f6sartiger Befund \\u2013 \\u201eKontrolle\\u201c"
}`,
    );
    assert.equal(file!.stem, 'sap_ish_0001_briefe_2001_3001');
  });

  it('picks the anchor by type priority, then the earliest timestamp', () => {
    const [file] = buildDropFiles(
      rowsOf({
        'Labor.txt': table(LABOR, [['7', '8', '2024-01-01 00:00', 'CRP', 'CRP', '1']]),
        'Pathodocs.txt': table(['PatientNr', 'FallNr', 'Dokumentnummer', 'Dokumentzeit', 'DokumenttypID'], [
          ['7', '8', 'PA-2', '2024-03-02', 'HIST'],
          ['7', '8', 'PA-3', '', 'HIST'],
          ['7', '8', 'PA-1', '2024-03-01', 'ZYTO'],
        ]),
      }),
      { sourceSystem: 'sap_ish' },
    );
    assert.equal(file!.stem, 'sap_ish_0001_pathodocs_7_8');
    assert.equal(file!.sidecar.get('original_document_id'), 'PA-1');
    assert.equal(file!.sidecar.get('examination_date'), '2024-03-01');
  });
});

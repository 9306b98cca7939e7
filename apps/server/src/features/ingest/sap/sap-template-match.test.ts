import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeRow, resolveTemplate } from './sap-template-match.js';
import { SAP_DOCUMENT_TYPES, SAP_TEMPLATES } from './sap-templates.js';
import { headerKey, isSapDateTime } from './sap-values.js';

describe('SAP template matching', () => {
  it('has one template per document type of §7, each recognised from its required columns alone', () => {
    assert.deepEqual(SAP_TEMPLATES.map((t) => t.documentType).sort(), [...SAP_DOCUMENT_TYPES].sort());
    for (const template of SAP_TEMPLATES) assert.equal(resolveTemplate(template.requiredColumns).template.documentType, template.documentType);
    for (const template of SAP_TEMPLATES) assert.equal(resolveTemplate(template.columns.map((c) => c.source)).template.documentType, template.documentType);
  });

  it('never lets two columns of one template answer to the same header', () => {
    for (const template of SAP_TEMPLATES) {
      const keys = template.columns.flatMap((c) => [...new Set([headerKey(c.source), headerKey(c.target)])]);
      assert.equal(new Set(keys).size, keys.length, template.documentType);
      for (const required of template.requiredColumns) assert.ok(template.columns.some((c) => c.source === required), `${template.documentType}.${required}`);
    }
  });

  it('matches headers case-insensitively and in canonical snake_case spelling', () => {
    assert.equal(resolveTemplate([' PATIENTNR ', 'fallnr', 'DATEERSTELLZEIT', 'strtext']).template.documentType, 'briefe');
    assert.equal(resolveTemplate(['patient_nr', 'fall_nr', 'date_erstellzeit', 'str_text']).template.documentType, 'briefe');
  });

  it('prefers the most matched columns, then the fewest unknown ones', () => {
    const stammdaten = resolveTemplate(['PatientNr', 'FallNr', 'PatientAlter', 'Geschlecht']);
    assert.equal(stammdaten.template.documentType, 'stammdaten');
    const withExtra = resolveTemplate(['PatientNr', 'FallNr', 'Dokumentzeit', 'Dokumentnummer', 'Dokumentversion', 'pmdAnam', 'Station']);
    assert.equal(withExtra.template.documentType, 'cwd');
    assert.deepEqual(withExtra.unknownColumns, ['Station']);
  });

  it('refuses ties and unknown tables', () => {
    assert.throws(() => resolveTemplate(['PatientNr', 'FallNr', 'Diagnoseschluessel1', 'Diagnosezeit', 'OPCode', 'Beginnzeit']), /ambiguous headers; matched: diagnosen, prozeduren/);
    assert.throws(() => resolveTemplate(['Bettnummer', 'Pflegegrad']), /no known SAP IS-H table template/);
    assert.throws(() => resolveTemplate(['PatientNr', 'FallNr', 'Dokumentzeit']), /no known/);
  });

  it('types values, keeps raw cells under their exported header and keeps unknown columns', () => {
    const headers = ['PatientNr', 'FallNr', 'Diagnoseschluessel1', 'Diagnosezeit', 'KzNebendiagnose', 'Bemerkung'];
    const match = resolveTemplate(headers);
    const cells = new Map<string, string | null>([
      ['PatientNr', ' 2001 '],
      ['FallNr', '3001'],
      ['Diagnoseschluessel1', 'K52.9'],
      ['Diagnosezeit', '16.05.2024 08:00'],
      ['KzNebendiagnose', 'X'],
      ['Bemerkung', 'Verdacht'],
    ]);
    const row = normalizeRow(cells, match, { memberPath: 'export/Diagnosen.txt', sourceFile: 'Diagnosen.txt', rowNumber: 2 });
    assert.equal(row.documentType, 'diagnosen');
    assert.equal(row.canonical.get('patient_nr'), '2001');
    assert.ok(isSapDateTime(row.canonical.get('diagnosezeit')));
    assert.equal(row.canonical.get('kz_nebendiagnose'), null);
    assert.equal(row.rawColumns.get('PatientNr'), ' 2001 ');
    assert.deepEqual([...row.unknownColumns], [['Bemerkung', 'Verdacht']]);
  });
});

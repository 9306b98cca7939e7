import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RuntimePaths } from '../../src/config/index.js';
import { CentersService } from '../../src/features/centers/index.js';
import { DEFAULT_SAP_ARCHIVE_LIMITS, SapArchiveError, SapImportService, type SapArchiveLimits } from '../../src/features/ingest/index.js';
import { Conflict, Invalid, NotFound } from '../../src/shared/errors.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { sapExportMembers, tsv, writeZip, type ZipMember } from '../helpers/zip.js';

let paths: RuntimePaths;

function freshRoot(): void {
  paths = configFrom({ DJANGO_ENV: 'development', DATA_DIR: tempDataRoot('lx-sap-') }).settings.paths;
  mkdirSync(paths.importDirs.sapImport, { recursive: true });
  mkdirSync(paths.storageDir, { recursive: true });
}

const importer = (limits: SapArchiveLimits = DEFAULT_SAP_ARCHIVE_LIMITS): SapImportService => new SapImportService({ paths, limits });
const zipOf = (members: readonly ZipMember[], name = 'export.zip'): string => writeZip(join(paths.importDirs.sapImport, name), members);
const outputFiles = (): string[] => (existsSync(paths.importDirs.preanonymized) ? readdirSync(paths.importDirs.preanonymized).sort() : []);
const manifests = (): string[] => {
  const dir = join(paths.dataRoot, 'migration_staging', 'manifests');
  return existsSync(dir) ? readdirSync(dir) : [];
};

const SIDECAR_KEYS = new Set([
  'anonymized_text',
  'casenumber',
  'center_key',
  'center_name',
  'examination_date',
  'examination_time',
  'external_id',
  'external_id_origin',
  'original_document_id',
  'original_document_version',
  'patient_gender',
  'raw_columns',
  'source_document_type',
  'source_system',
  'text',
]);

describe('SAP IS-H zip import: a realistic export', () => {
  before(freshRoot);
  let outcome: Awaited<ReturnType<SapImportService['importZip']>>;

  it('recognises every document type, in UTF-8, UTF-8 with BOM and Windows-1252', async () => {
    const extra: ZipMember[] = [
      { name: 'ISH_Export_2024-05-20/Unbekannt.txt', data: tsv(['Bettnummer', 'Pflegegrad'], [['12', '3']]) },
      { name: 'ISH_Export_2024-05-20/Mehrdeutig.txt', data: tsv(['PatientNr', 'FallNr', 'Diagnoseschluessel1', 'Diagnosezeit', 'OPCode', 'Beginnzeit'], [['1', '2', 'K29.7', '2024-05-16', '1-632.0', '2024-05-17']]) },
      { name: 'ISH_Export_2024-05-20/Leer.txt', data: tsv(['PatientNr', 'FallNr'], []) },
      { name: 'ISH_Export_2024-05-20/Begleitschreiben.pdf', data: '%PDF-1.4' },
    ];
    outcome = await importer().importZip({ zipPath: zipOf([...sapExportMembers(), ...extra]) });
    assert.deepEqual(
      outcome.matched.map((m) => [m.memberPath.split('/')[1], m.documentType, m.encoding, m.rows]),
      [
        ['Bewegungen.txt', 'bewegungen', 'cp1252', 2],
        ['Briefe.txt', 'briefe', 'utf-8-sig', 1],
        ['CWD.txt', 'cwd', 'utf-8', 1],
        ['Diagnosen.txt', 'diagnosen', 'cp1252', 1],
        ['Labor.txt', 'labor', 'utf-8', 1],
        ['Meona.txt', 'meona_medikamente', 'utf-8', 1],
        ['Pathodocs.txt', 'pathodocs', 'utf-8', 1],
        ['Patienten.txt', 'patienten', 'utf-8', 2],
        ['Prozeduren.txt', 'prozeduren', 'utf-8', 1],
        ['Radiologie.txt', 'radiologie', 'utf-8-sig', 1],
        ['Stammdaten.txt', 'stammdaten', 'utf-8', 1],
      ],
    );
    assert.deepEqual(outcome.warnings, []);
  });

  it('reports the tie, the unknown and the empty table as skipped, with reasons', () => {
    assert.deepEqual(
      outcome.skipped.map((s) => [s.memberPath.split('/')[1], s.reason]),
      [
        ['Leer.txt', 'no data rows'],
        ['Mehrdeutig.txt', 'ambiguous headers; matched: diagnosen, prozeduren'],
        ['Unbekannt.txt', 'no known SAP IS-H table template matches the headers'],
      ],
    );
  });

  it('writes one pair per text-bearing row of the case and one for the patient without a case', () => {
    assert.deepEqual(outputFiles(), [
      'sap_ish_0001_briefe_4711_900001.json',
      'sap_ish_0001_briefe_4711_900001.txt',
      'sap_ish_0002_cwd_4711_900001.json',
      'sap_ish_0002_cwd_4711_900001.txt',
      'sap_ish_0003_radiologie_4711_900001.json',
      'sap_ish_0003_radiologie_4711_900001.txt',
      'sap_ish_0004_patienten_5820_case_0004.json',
      'sap_ish_0004_patienten_5820_case_0004.txt',
    ]);
    const carrier = (stem: string): string => readFileSync(join(paths.importDirs.preanonymized, `${stem}.txt`), 'utf8');
    assert.equal(carrier('sap_ish_0001_briefe_4711_900001'), 'Entlassbrief: Gastroskopie ohne Befund – Kontrolle in 6 Monaten.\n');
    assert.equal(carrier('sap_ish_0002_cwd_4711_900001'), 'Pat. berichtet über Oberbauchschmerzen seit 3 Tagen, Übelkeit.\n');
    assert.equal(carrier('sap_ish_0003_radiologie_4711_900001'), 'Leber normal groß, keine Gallensteine.\n');
    for (const name of outputFiles()) assert.equal(statSync(join(paths.importDirs.preanonymized, name)).mode & 0o777, 0o640);
  });

  it('fills the case sidecars from the related rows of every type', () => {
    const raw = readFileSync(join(paths.importDirs.preanonymized, 'sap_ish_0002_cwd_4711_900001.json'), 'utf8');
    assert.ok([...raw].every((ch) => ch.charCodeAt(0) < 0x7f), 'sidecar is pure ASCII');
    assert.ok(raw.includes('"Pat. berichtet \\u00fcber Oberbauchschmerzen seit 3 Tagen, \\u00dcbelkeit."'));
    // Windows-1252 tables: umlauts decoded, unknown columns kept for review.
    assert.ok(raw.includes('"Behandlungsort": "Station S\\u00fcd 3"'));
    assert.ok(raw.includes('"Diagnosetext": "Gastritis, nicht n\\u00e4her bezeichnet"'));
    const sidecar = JSON.parse(raw) as Record<string, unknown> & { raw_columns: { related_rows_by_type: Record<string, unknown[]>; source_files: string[] } };
    assert.deepEqual(Object.keys(sidecar), [...Object.keys(sidecar)].sort());
    for (const key of Object.keys(sidecar)) assert.ok(SIDECAR_KEYS.has(key), key);
    assert.equal(sidecar.external_id, '4711');
    assert.equal(sidecar.casenumber, '900001');
    assert.equal(sidecar.patient_gender, 'female');
    assert.equal(sidecar.examination_date, '2024-05-16');
    assert.equal(sidecar.examination_time, '14:20:00');
    assert.equal(sidecar.original_document_id, 'CWD-100');
    assert.equal(sidecar.original_document_version, '1');
    assert.equal(sidecar.source_document_type, 'cwd');
    assert.equal(sidecar.text, sidecar.anonymized_text);
    assert.deepEqual(Object.keys(sidecar.raw_columns.related_rows_by_type).sort(), [
      'bewegungen', 'briefe', 'cwd', 'diagnosen', 'labor', 'meona_medikamente', 'pathodocs', 'patienten', 'prozeduren', 'radiologie', 'stammdaten',
    ]);
    assert.equal(sidecar.raw_columns.related_rows_by_type.bewegungen!.length, 2);
    assert.deepEqual(sidecar.raw_columns.source_files, [
      'Bewegungen.txt', 'Briefe.txt', 'CWD.txt', 'Diagnosen.txt', 'Labor.txt', 'Meona.txt', 'Pathodocs.txt', 'Patienten.txt', 'Prozeduren.txt', 'Radiologie.txt', 'Stammdaten.txt',
    ]);
  });

  it('writes the sidecar of the patient without a case byte for byte', () => {
    const rows = `"raw_columns": {
        "Geschlecht": "M",
        "PatientAlter": "45",
        "PatientNr": "5820"
      }`;
    const summary = 'Case summary generated from SAP IS-H tabular export\\nPatientNr: 5820\\npatienten: 1 row(s)';
    assert.equal(
      readFileSync(join(paths.importDirs.preanonymized, 'sap_ish_0004_patienten_5820_case_0004.json'), 'utf8'),
      `{
  "anonymized_text": "${summary}",
  "external_id": "5820",
  "external_id_origin": "sap_ish",
  "patient_gender": "male",
  "raw_columns": {
    "primary_row": {
      "document_type": "patienten",
      ${rows},
      "row_number": 3,
      "source_file": "Patienten.txt"
    },
    "related_rows_by_type": {
      "patienten": [
        {
          ${rows.replace(/\n/g, '\n    ')},
          "row_number": 3,
          "source_file": "Patienten.txt",
          "unknown_columns": {}
        }
      ]
    },
    "source_files": [
      "Patienten.txt"
    ]
  },
  "source_document_type": "patienten",
  "source_system": "sap_ish",
  "text": "${summary}"
}`,
    );
    assert.equal(
      readFileSync(join(paths.importDirs.preanonymized, 'sap_ish_0004_patienten_5820_case_0004.txt'), 'utf8'),
      'Case summary generated from SAP IS-H tabular export\nPatientNr: 5820\npatienten: 1 row(s)\n',
    );
  });

  it('writes the manifest with the original fields under migration_staging/manifests', () => {
    assert.match(outcome.manifestPath, /\/migration_staging\/manifests\/export-\d{8}T\d{6}Z\.json$/);
    const raw = readFileSync(outcome.manifestPath, 'utf8');
    assert.ok(!raw.endsWith('\n'));
    const manifest = JSON.parse(raw) as Record<string, unknown>;
    assert.deepEqual(Object.keys(manifest), [
      'center_key', 'center_name', 'command', 'created_at', 'generated_files', 'matched_source_files', 'output_dir', 'process', 'skipped_source_files', 'source_system', 'zip_path',
    ]);
    assert.equal(manifest.command, 'import_sap_ish_zip');
    assert.match(manifest.created_at as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
    assert.equal(manifest.zip_path, join(paths.importDirs.sapImport, 'export.zip'));
    assert.equal(manifest.output_dir, paths.importDirs.preanonymized);
    assert.equal(manifest.source_system, 'sap_ish');
    assert.equal(manifest.center_key, null);
    assert.equal(manifest.process, false);
    assert.deepEqual((manifest.generated_files as unknown[])[0], {
      carrier_path: join(paths.importDirs.preanonymized, 'sap_ish_0001_briefe_4711_900001.txt'),
      document_type: 'briefe',
      sidecar_path: join(paths.importDirs.preanonymized, 'sap_ish_0001_briefe_4711_900001.json'),
    });
    assert.equal((manifest.matched_source_files as string[]).length, 11);
    assert.deepEqual(manifest.skipped_source_files, ['ISH_Export_2024-05-20/Leer.txt', 'ISH_Export_2024-05-20/Mehrdeutig.txt', 'ISH_Export_2024-05-20/Unbekannt.txt']);
  });

  it('refuses to import the same export again while its pairs wait, publishing nothing', async () => {
    const before = outputFiles().map((f) => readFileSync(join(paths.importDirs.preanonymized, f), 'utf8'));
    const manifestCount = manifests().length;
    await assert.rejects(
      importer().importZip({ zipPath: join(paths.importDirs.sapImport, 'export.zip') }),
      (e: Error) => e instanceof Conflict && e.message.endsWith('sap_ish_0001_briefe_….json') && !e.message.includes('4711'),
    );
    assert.deepEqual(outputFiles().map((f) => readFileSync(join(paths.importDirs.preanonymized, f), 'utf8')), before);
    assert.equal(manifests().length, manifestCount);
    assert.ok(!readdirSync(paths.importDirs.preanonymized).some((n) => n.startsWith('.')), 'no staging or temp files left');
  });
});

describe('SAP IS-H zip import: refusals', () => {
  beforeEach(freshRoot);

  const briefe = (name = 'Briefe.txt'): ZipMember => ({ name, data: tsv(['PatientNr', 'FallNr', 'dateErstellzeit', 'strText'], [['1', '2', '2024-05-17', 'Brief']]) });

  const unsafe: [string, ZipMember[], string][] = [
    ['zip slip', [briefe(), { name: '../escape.txt', data: 'x' }], 'member path escapes the archive (..): ../escape.txt'],
    ['nested zip slip', [{ name: 'nested/../../escape.txt', data: 'x' }, briefe()], 'nested/../../escape.txt'],
    ['backslash zip slip', [briefe(), { name: 'a\\..\\..\\file.txt', data: 'x' }], 'a\\..\\..\\file.txt'],
    ['absolute path', [briefe(), { name: '/etc/cron.d/x.txt', data: 'x' }], 'absolute member path: /etc/cron.d/x.txt'],
    ['drive letter', [briefe(), { name: 'C:/file.txt', data: 'x' }], 'absolute member path: C:/file.txt'],
    ['symlink member', [briefe(), { name: 'link.txt', data: '/etc/passwd', mode: 0o120777 }], 'symbolic link member: link.txt'],
    ['fifo member', [briefe(), { name: 'pipe.txt', data: '', mode: 0o010644 }], 'special file member: pipe.txt'],
    ['encrypted member', [briefe(), { name: 'geheim.txt', data: 'x', encrypted: true }], 'encrypted member: geheim.txt'],
    ['duplicate names', [briefe(), briefe()], 'duplicate member name: Briefe.txt'],
    ['ratio bomb', [briefe(), { name: 'bombe.txt', data: Buffer.alloc(4 * 1024 * 1024, 0x09) }], ':1 (zip bomb?): bombe.txt'],
    ['size lie', [briefe(), { name: 'luege.txt', data: tsv(['PatientNr'], [['1'.repeat(5000)]]), declaredSize: 12 }], 'member inflates beyond its declared 12 bytes (zip bomb?): luege.txt'],
    ['corrupt member', [briefe(), { name: 'kaputt.txt', data: 'PatientNr\n1\n', method: 'store', crc: 0x12345678 }], 'corrupt member (CRC mismatch): kaputt.txt'],
  ];
  for (const [title, members, message] of unsafe) {
    it(`refuses a ${title}, naming the member, and leaves no output`, async () => {
      const zip = zipOf(members);
      const bytes = readFileSync(zip);
      await assert.rejects(importer().importZip({ zipPath: zip }), (e: Error) => e instanceof SapArchiveError && e.message.includes(message));
      assert.deepEqual(outputFiles(), []);
      assert.deepEqual(manifests(), []);
      assert.deepEqual(readFileSync(zip), bytes, 'the zip is untouched');
    });
  }

  it('refuses tables beyond the total and per-table uncompressed caps', async () => {
    const members = [briefe('a/Briefe.txt'), briefe('b/Briefe.txt')];
    const size = (members[0]!.data as string).length;
    await assert.rejects(
      importer({ ...DEFAULT_SAP_ARCHIVE_LIMITS, maxTotalBytes: size + 10 }).importZip({ zipPath: zipOf(members) }),
      (e: Error) => e instanceof SapArchiveError && e.message.endsWith(`exceed the total limit of ${size + 10} uncompressed bytes at member: b/Briefe.txt`),
    );
    await assert.rejects(
      importer({ ...DEFAULT_SAP_ARCHIVE_LIMITS, maxEntryBytes: 10 }).importZip({ zipPath: zipOf(members, 'b.zip') }),
      /more than the limit of 10: a\/Briefe\.txt/,
    );
    assert.deepEqual(outputFiles(), []);
  });

  it('refuses a file that is not a zip, and a missing zip', async () => {
    const zip = join(paths.importDirs.sapImport, 'kein.zip');
    writeZip(zip, []);
    await assert.rejects(importer().importZip({ zipPath: zip }), /No supported SAP IS-H TSV tables were found/);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(zip, 'PK nonsense');
    await assert.rejects(importer().importZip({ zipPath: zip }), (e: Error) => e instanceof SapArchiveError && /not a readable zip archive/.test(e.message));
    await assert.rejects(importer().importZip({ zipPath: join(paths.dataRoot, 'fehlt.zip') }), NotFound);
  });

  it('fails with the skip reasons when no table holds a supported row', async () => {
    const zip = zipOf([
      { name: 'Unbekannt.txt', data: tsv(['Bettnummer'], [['1']]) },
      { name: 'Verrutscht.txt', data: tsv(['PatientNr', 'FallNr', 'dateErstellzeit', 'strText'], [['1', '2', '2024-05-17', 'Text\tmit Tab']]) },
      { name: 'UTF16.txt', data: Buffer.from('\ufeffPatientNr\tFallNr\n', 'utf16le') },
    ]);
    await assert.rejects(importer().importZip({ zipPath: zip }), (e: Error) => {
      assert.ok(e instanceof Invalid);
      assert.match(e.message, /^No supported SAP IS-H TSV tables were found in the provided zip archive \(/);
      assert.match(e.message, /Verrutscht\.txt: row 2 has 5 fields, the header has 4/);
      assert.match(e.message, /UTF16\.txt: binary content/);
      assert.ok(!e.message.includes('mit Tab'), 'no cell value in the error');
      return true;
    });
    assert.deepEqual(outputFiles(), []);
    assert.deepEqual(manifests(), []);
  });

  it('keeps the output directory and the manifest inside the data root; warns for a zip outside the drop tier', async () => {
    const zip = writeZip(join(paths.dataRoot, 'anderswo.zip'), [briefe()]);
    await assert.rejects(importer().importZip({ zipPath: zip, outputDir: '/tmp' }), /output directory must be inside the data root/);
    await assert.rejects(importer().importZip({ zipPath: zip, manifestPath: '/tmp/m.json' }), /manifest path must be inside the data root/);
    await assert.rejects(importer().importZip({ zipPath: zip, outputDir: join(paths.storageDir, 'x') }), /output directory must not be inside the encrypted storage/);
    await assert.rejects(importer().importZip({ zipPath: zip, manifestPath: join(paths.dataRoot, 'anderswo.zip') }), /manifest path already exists/);
    symlinkSync(paths.storageDir, join(paths.dataRoot, 'umweg'));
    await assert.rejects(importer().importZip({ zipPath: zip, outputDir: join(paths.dataRoot, 'umweg') }), /output directory resolves into the encrypted storage/);
    const manifestPath = join(paths.dataRoot, 'berichte', 'sap.json');
    const outcome = await importer().importZip({ zipPath: zip, outputDir: join(paths.dataRoot, 'eigene_ausgabe'), manifestPath, sourceSystem: ' sap_ish_test ' });
    assert.deepEqual(outcome.warnings, [`SAP archive is outside managed sap drop tier: ${zip}`]);
    assert.equal(outcome.manifestPath, manifestPath);
    assert.equal((JSON.parse(readFileSync(manifestPath, 'utf8')) as { source_system: string }).source_system, 'sap_ish_test');
    assert.deepEqual(readdirSync(join(paths.dataRoot, 'eigene_ausgabe')).sort(), ['sap_ish_0001_briefe_1_2.json', 'sap_ish_0001_briefe_1_2.txt']);
  });
});

for (const engine of ENGINES) {
  describe(`SAP IS-H zip import: declared center on ${engine}`, () => {
    let t: TestDatabase;
    let centers: CentersService;
    before(async () => {
      t = await createTestDatabase(engine);
      centers = new CentersService(t.db);
      await centers.ensureCenter({ name: 'university_hospital_wuerzburg', displayName: 'Universitätsklinikum Würzburg', centerKey: 'ukw' });
      await centers.ensureCenter({ name: 'other_center', centerKey: 'other' });
    });
    after(() => t.dispose());
    beforeEach(freshRoot);

    const zip = (): string => zipOf(sapExportMembers());
    const service = (): SapImportService => new SapImportService({ paths, centers });

    it('writes the given center into every sidecar and the manifest', async () => {
      const outcome = await service().importZip({ zipPath: zip(), centerKey: 'ukw', centerName: 'university_hospital_wuerzburg' });
      for (const file of outcome.generated) {
        const sidecar = JSON.parse(readFileSync(file.sidecarPath, 'utf8')) as Record<string, string>;
        assert.equal(sidecar.center_key, 'ukw');
        assert.equal(sidecar.center_name, 'university_hospital_wuerzburg');
      }
      const manifest = JSON.parse(readFileSync(outcome.manifestPath, 'utf8')) as Record<string, string>;
      assert.equal(manifest.center_key, 'ukw');
    });

    it('refuses an unknown key, an unknown name and a key and name of different centers', async () => {
      await assert.rejects(service().importZip({ zipPath: zip(), centerKey: 'nope' }), (e: Error) => e instanceof NotFound && e.message === 'Unknown center_key: nope');
      await assert.rejects(service().importZip({ zipPath: zip(), centerName: 'Nirgendwo' }), (e: Error) => e instanceof NotFound && e.message === 'Unknown center_name: Nirgendwo');
      await assert.rejects(service().importZip({ zipPath: zip(), centerKey: 'ukw', centerName: 'other_center' }), /center_key and center_name refer to different centers/);
      assert.deepEqual(outputFiles(), []);
    });
  });
}

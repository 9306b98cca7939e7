import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CentersService } from '../../src/features/centers/index.js';
import { ConfigError } from '../../src/config/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { runCliProcess } from '../helpers/processes.js';
import { sapExportMembers, writeZip } from '../helpers/zip.js';

function dataRootWithZip(name = 'export.zip'): { root: string; zip: string } {
  const root = tempDataRoot('lx-sap-cli-');
  const dir = join(root, 'import', 'sap_import');
  mkdirSync(dir, { recursive: true });
  return { root, zip: writeZip(join(dir, name), sapExportMembers()) };
}

for (const engine of ENGINES) {
  describe(`lx-annotate import-sap-ish-zip on ${engine}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(engine);
      await new CentersService(t.db).ensureCenter({ name: 'university_hospital_wuerzburg', centerKey: 'ukw' });
    });
    after(() => t.dispose());

    it('converts the zip for a declared center (underscore option spellings) and prints the result', () => {
      const { root, zip } = dataRootWithZip();
      const out = join(root, 'import', 'eigene_ausgabe');
      const r = runCliProcess(['import-sap-ish-zip', zip, '--center_key', 'ukw', '--output_dir', out, '--source-system', 'sap_ish'], { DJANGO_ENV: 'development', DATA_DIR: root, ...t.env });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Generated 4 watcher file pair\(s\) from 11 supported SAP table file\(s\)$/m);
      assert.match(r.stdout, /^- sap_ish_0001_briefe_4711_900001\.txt \(briefe\)$/m);
      assert.match(r.stdout, /^Manifest written to .*\/migration_staging\/manifests\/export-\d{8}T\d{6}Z\.json$/m);
      const sidecar = JSON.parse(readFileSync(join(out, 'sap_ish_0004_patienten_5820_case_0004.json'), 'utf8')) as Record<string, string>;
      assert.equal(sidecar.center_key, 'ukw');
      assert.equal(sidecar.center_name, undefined);
    });

    // The service tests cover both engines; one process run shows the exit code and message.
    if (engine === 'sqlite') {
      it('exits 1 with the original message for an unknown center, writing nothing', () => {
        const { root, zip } = dataRootWithZip();
        const r = runCliProcess(['import-sap-ish-zip', zip, '--center-key', 'nope'], { DJANGO_ENV: 'development', DATA_DIR: root, ...t.env });
        assert.equal(r.status, 1, r.stdout);
        assert.equal(r.stderr, 'lx-annotate import-sap-ish-zip: Unknown center_key: nope\n');
        assert.ok(!existsSync(join(root, 'migration_staging')));
        assert.deepEqual(readdirSync(join(root, 'import', 'preanonymized_import')), []);
      });
    }
  });
}

describe('lx-annotate SAP commands without a database', () => {
  it('applies LX_ANNOTATE_SAP_IMPORT_MAX_UNCOMPRESSED_BYTES; a malformed value is a configuration error', () => {
    const { root, zip } = dataRootWithZip();
    const capped = runCliProcess(['import-sap-ish-zip', zip], { DJANGO_ENV: 'development', DATA_DIR: root, LX_ANNOTATE_SAP_IMPORT_MAX_UNCOMPRESSED_BYTES: '300' });
    assert.equal(capped.status, 1, capped.stdout);
    assert.match(capped.stderr, /tables exceed the total limit of 300 uncompressed bytes at member: ISH_Export_2024-05-20\/\w+\.txt/);
    assert.throws(() => configFrom({ DJANGO_ENV: 'development', DATA_DIR: root, LX_ANNOTATE_SAP_IMPORT_MAX_UNCOMPRESSED_BYTES: '2GB' }), (e: Error) => e instanceof ConfigError && e.message.includes('LX_ANNOTATE_SAP_IMPORT_MAX_UNCOMPRESSED_BYTES'));
    assert.equal(configFrom({ DJANGO_ENV: 'development', DATA_DIR: root }).settings.sapImport.maxUncompressedBytes, 2 * 1024 ** 3);
  });

  it('exits 2 on bad usage', () => {
    const conflicting = runCliProcess(['import-sap-ish-zip', 'a.zip', '--output-dir', '/a', '--output_dir', '/b'], { DJANGO_ENV: 'development', DATA_DIR: tempDataRoot('lx-sap-cli-') });
    assert.equal(conflicting.status, 2);
    assert.match(conflicting.stderr, /--output-dir and --output_dir disagree/);
  });

  it('sap-import-drop --once moves imported zips to processed and refused ones to failed', () => {
    const { root } = dataRootWithZip('gut.zip');
    writeZip(join(root, 'import', 'sap_import', 'kaputt.zip'), [{ name: '../kaputt.txt', data: 'x' }]);
    const r = runCliProcess(['sap-import-drop', '--once'], { DJANGO_ENV: 'development', DATA_DIR: root });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^imported gut\.zip: 4 pair\(s\) from 11 table\(s\), 0 skipped; moved to import\/sap_import_processed\/gut\.zip; manifest migration_staging\/manifests\/gut-\d{8}T\d{6}Z\.json$/m);
    assert.match(r.stderr, /^failed kaputt\.zip: member path escapes the archive \(\.\.\): \.\.\/kaputt\.txt; moved to import\/sap_import_failed\/kaputt\.zip$/m);
    assert.ok(!/4711|5820/.test(r.stdout + r.stderr), 'no patient numbers in the journal output');
    assert.deepEqual(readdirSync(join(root, 'import', 'sap_import')), []);
    assert.equal(readdirSync(join(root, 'import', 'preanonymized_import')).length, 8);
  });
});

import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import type { RuntimePaths } from '../../src/config/index.js';
import { SapDropService, SapImportService, type SapDropEvent } from '../../src/features/ingest/index.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { sapExportMembers, tsv, writeZip } from '../helpers/zip.js';

let paths: RuntimePaths;
const FAST = { intervalMs: 40, attempts: 6 };
const fixedClock = (): Date => new Date('2024-05-20T12:00:00.000Z');

function drop(options: { importer?: Pick<SapImportService, 'importZip'> } = {}): SapDropService {
  return new SapDropService({ importer: options.importer ?? new SapImportService({ paths }), paths, stability: FAST, clock: fixedClock });
}
const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
const kinds = (events: readonly SapDropEvent[]): string[] => events.map((e) => `${e.kind} ${e.name}`);

describe('SAP drop directory flow', () => {
  beforeEach(() => {
    paths = configFrom({ DJANGO_ENV: 'development', DATA_DIR: tempDataRoot('lx-sap-drop-') }).settings.paths;
    mkdirSync(paths.importDirs.sapImport, { recursive: true });
  });

  it('imports a stable zip into the preanonymized directory and moves it to sap_import_processed', async () => {
    const zip = writeZip(join(paths.importDirs.sapImport, 'ish_2024-05-20.zip'), sapExportMembers());
    const bytes = readFileSync(zip);
    const summary = await drop().runOnce();
    assert.deepEqual(kinds(summary.events), ['imported ish_2024-05-20.zip']);
    assert.deepEqual(list(paths.importDirs.sapImport), []);
    assert.deepEqual(readFileSync(join(paths.importDirs.sapImportProcessed, 'ish_2024-05-20.zip')), bytes);
    assert.equal(list(paths.importDirs.preanonymized).length, 8);
    const event = summary.events[0]!;
    assert.ok(event.kind === 'imported' && existsSync(event.outcome.manifestPath));
  });

  it('moves a refused zip to sap_import_failed with the reason, and still processes the others', async () => {
    writeZip(join(paths.importDirs.sapImport, 'a_boese.zip'), [{ name: '../../etc/evil.txt', data: 'x' }]);
    writeZip(join(paths.importDirs.sapImport, 'b_gut.zip'), sapExportMembers());
    writeZip(join(paths.importDirs.sapImport, 'c_leer.zip'), [{ name: 'x.txt', data: tsv(['Bettnummer'], [['1']]) }]);
    const summary = await drop().runOnce();
    assert.deepEqual(kinds(summary.events), ['failed a_boese.zip', 'imported b_gut.zip', 'failed c_leer.zip']);
    const failed = summary.events[0]!;
    assert.ok(failed.kind === 'failed' && failed.reason.includes('../../etc/evil.txt'));
    assert.deepEqual(list(paths.importDirs.sapImportFailed), ['a_boese.zip', 'c_leer.zip']);
    assert.deepEqual(list(paths.importDirs.sapImportProcessed), ['b_gut.zip']);
    assert.ok(!existsSync(join(paths.dataRoot, 'etc')));
  });

  it('never overwrites an earlier zip of the same name: adds a UTC timestamp', async () => {
    mkdirSync(paths.importDirs.sapImportFailed, { recursive: true });
    writeFileSync(join(paths.importDirs.sapImportFailed, 'export.zip'), 'earlier failure');
    writeZip(join(paths.importDirs.sapImport, 'export.zip'), [{ name: '/abs.txt', data: 'x' }]);
    const summary = await drop().runOnce();
    assert.deepEqual(kinds(summary.events), ['failed export.zip']);
    assert.deepEqual(list(paths.importDirs.sapImportFailed), ['export-20240520T120000Z.zip', 'export.zip']);
    assert.equal(readFileSync(join(paths.importDirs.sapImportFailed, 'export.zip'), 'utf8'), 'earlier failure');
  });

  it('leaves a zip that is still growing (or empty) in place for the next run', async () => {
    const growing = join(paths.importDirs.sapImport, 'upload.zip');
    writeFileSync(growing, 'PK');
    writeFileSync(join(paths.importDirs.sapImport, 'leer.zip'), '');
    const writer = setInterval(() => appendFileSync(growing, 'more bytes'), 10);
    try {
      const summary = await drop().runOnce();
      assert.deepEqual(kinds(summary.events), ['unstable leer.zip', 'unstable upload.zip']);
    } finally {
      clearInterval(writer);
    }
    assert.deepEqual(list(paths.importDirs.sapImport), ['leer.zip', 'upload.zip']);
    assert.deepEqual(list(paths.importDirs.sapImportFailed), []);
  });

  it('ignores other files, hidden names and symbolic links', async () => {
    writeFileSync(join(paths.importDirs.sapImport, 'notiz.txt'), 'x');
    writeFileSync(join(paths.importDirs.sapImport, '.teil.zip'), 'x');
    symlinkSync('/etc/hostname', join(paths.importDirs.sapImport, 'link.zip'));
    const summary = await drop().runOnce();
    assert.deepEqual(summary.events.map((e) => [e.kind, e.name]), [['ignored', 'link.zip']]);
    assert.deepEqual(list(paths.importDirs.sapImport), ['.teil.zip', 'link.zip', 'notiz.txt']);
  });

  it('leaves the zip in place when the host fails (disk full), to retry on the next run', async () => {
    writeZip(join(paths.importDirs.sapImport, 'export.zip'), sapExportMembers());
    // A disk-full condition cannot be produced on demand; this importer raises the error the filesystem would.
    const diskFull = {
      importZip: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      },
    };
    const summary = await drop({ importer: diskFull }).runOnce();
    assert.deepEqual(kinds(summary.events), ['retry export.zip']);
    assert.deepEqual(list(paths.importDirs.sapImport), ['export.zip']);
  });

  it('does nothing while another live run holds the lock, and takes over a dead run’s lock', async () => {
    writeZip(join(paths.importDirs.sapImport, 'export.zip'), sapExportMembers());
    const lock = join(paths.importDirs.sapImport, '.sap-import-drop.lock');
    writeFileSync(lock, `${process.pid}\n`);
    assert.deepEqual(await drop().runOnce(), { busy: true, events: [] });
    assert.deepEqual(list(paths.importDirs.sapImport), ['.sap-import-drop.lock', 'export.zip']);
    writeFileSync(lock, '2147483646\n');
    const summary = await drop().runOnce();
    assert.deepEqual(kinds(summary.events), ['imported export.zip']);
    assert.deepEqual(list(paths.importDirs.sapImport), []);
  });
});

describe('SAP drop directory flow, resident', () => {
  it('keeps polling until stopped and picks up a zip dropped meanwhile', async () => {
    paths = configFrom({ DJANGO_ENV: 'development', DATA_DIR: tempDataRoot('lx-sap-drop-') }).settings.paths;
    const stop = new AbortController();
    const seen: SapDropEvent[] = [];
    const running = drop().runUntil(stop.signal, 30, {
      onEvent: (event) => {
        seen.push(event);
        stop.abort();
      },
    });
    await new Promise((r) => setTimeout(r, 100));
    writeZip(join(paths.importDirs.sapImport, 'spaet.zip'), sapExportMembers());
    await running;
    assert.deepEqual(kinds(seen), ['imported spaet.zip']);
    assert.deepEqual(list(paths.importDirs.sapImportProcessed), ['spaet.zip']);
  });
});

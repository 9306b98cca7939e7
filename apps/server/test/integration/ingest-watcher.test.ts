import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isEncryptedFile } from '../../src/adapters/storage/index.js';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import { FileWatcher, WatcherHandoff } from '../../src/features/ingest/index.js';
import { createLogger } from '../../src/log/logger.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { runCliProcess } from '../helpers/processes.js';
import { fakeMp4, ingestEnv, MINIMAL_PDF } from './ingest-support.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const context = (runtime: Runtime) => ({ signal: new AbortController().signal, logger: runtime.logger, jobId: 'test', attempt: 1 });

/** Producers write a temp name and rename it into place (§3.6). */
function drop(dir: string, name: string, content: Buffer | string): string {
  const temp = join(dir, `.${name}.partial`);
  writeFileSync(temp, content);
  renameSync(temp, join(dir, name));
  return join(dir, name);
}

for (const engine of ENGINES) {
  describe(`file watcher hand-off on ${engine}`, () => {
    let t: TestDatabase;
    let runtime: Runtime;
    let dataRoot: string;
    let dirs: { video: string; report: string; preanonymized: string };
    let centerA: number;

    const watcher = (options: { statfs?: () => Promise<{ freeBytes: number; totalBytes: number; usedFraction: number }> } = {}) =>
      new FileWatcher({
        dirs,
        handoff: new WatcherHandoff({ ingest: runtime.ingest.core, recovery: runtime.ingest.recovery, defaultCenterKey: 'klinik-a', logger: runtime.logger }),
        logger: runtime.logger,
        stableAfterMs: 300,
        pollMs: 100,
        usePolling: false,
        storageRoot: join(dataRoot, 'storage'),
        maxWaitMs: 5_000,
        ...(options.statfs ? { statfs: options.statfs } : {}),
      });
    const jobByHash = (hash: string) => runtime.db.selectFrom('upload_jobs').selectAll().where('content_hash', '=', hash).execute();

    before(async () => {
      t = await createTestDatabase(engine);
      dataRoot = tempDataRoot();
      const config = configFrom(ingestEnv(t.env, dataRoot));
      await ensureRuntimeDirectories(config.settings);
      runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
      centerA = (await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' })).id;
      await runtime.centers.ensureCenter({ name: 'Klinik B', centerKey: 'klinik-b' });
      dirs = config.settings.paths.importDirs;
    });
    after(async () => {
      await runtime.close();
      await t.dispose();
    });

    test('a report dropped by atomic rename becomes a watcher job; the drop file is removed only after the job and its encrypted copy exist', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} watched\n`)]);
      const path = drop(dirs.report, 'Bericht Müller.pdf', content);
      const summary = await watcher().runOnce();
      assert.equal(summary.ingested, 1, JSON.stringify(summary));
      assert.ok(!existsSync(path), 'drop file removed');
      const [job] = await jobByHash(sha256(content));
      assert.ok(job);
      assert.equal(job.ingest_mode, 'watcher');
      assert.equal(job.source_system, 'watcher');
      assert.equal(job.storage_tier, 'upload_watcher');
      assert.equal(job.retention_policy, 'delete_after_success');
      assert.equal(job.content_type, 'application/pdf');
      assert.equal(Number(job.source_center_id), centerA);
      assert.match(job.idempotency_key, new RegExp(`^watcher:${sha256(content)}:\\d+:${content.length}$`));
      const provenance = JSON.parse(job.processing_provenance);
      assert.equal(provenance.entrypoint, 'file_watcher');
      assert.equal(provenance.watched_path, path);
      assert.ok(await isEncryptedFile(join(dataRoot, 'storage', job.file)));
      const queued = await runtime.jobQueue.list({ name: 'ingest.process_upload_job', limit: 100 });
      assert.ok(queued.some((q) => (q.payload as { uploadJobId: string }).uploadJobId === job.id));
    });

    test('ignored names, other extensions, sub-directories and symlinks are left alone', async () => {
      const ignored = ['.hidden.pdf', '~backup.pdf', 'x.pdf.part', 'y.pdf.crdownload', 'z.tmp.pdf', 'a.lock', 'transcoding-1.mp4', 'notes.txt'];
      for (const name of ignored) writeFileSync(join(dirs.report, name), MINIMAL_PDF);
      writeFileSync(join(dirs.video, 'clip_processing.mp4'), fakeMp4(1024));
      mkdirSync(join(dirs.report, 'sub'), { recursive: true });
      writeFileSync(join(dirs.report, 'sub', 'deep.pdf'), MINIMAL_PDF);
      writeFileSync(join(dataRoot, 'outside.pdf'), Buffer.concat([MINIMAL_PDF, Buffer.from('outside')]));
      symlinkSync(join(dataRoot, 'outside.pdf'), join(dirs.report, 'link.pdf'));
      const summary = await watcher().runOnce();
      assert.equal(summary.ingested + summary.quarantined, 0, JSON.stringify(summary));
      for (const name of ignored) assert.ok(existsSync(join(dirs.report, name)), name);
      assert.ok(existsSync(join(dirs.report, 'sub', 'deep.pdf')));
      assert.ok(existsSync(join(dirs.report, 'link.pdf')), 'symlink untouched');
      assert.equal((await jobByHash(sha256(Buffer.concat([MINIMAL_PDF, Buffer.from('outside')])))).length, 0, 'a symlink target is never ingested');
    });

    test('a file whose content does not match its directory goes to quarantine with a failed job carrying the reason', async () => {
      const text = `Patient Max Mustermann ${engine}\n`;
      const path = drop(dirs.report, 'fake.pdf', text);
      const summary = await watcher().runOnce();
      assert.equal(summary.quarantined, 1);
      assert.ok(!existsSync(path));
      const [job] = await jobByHash(sha256(text));
      assert.ok(job);
      assert.equal(job.status, 'error');
      assert.equal(job.storage_class, 'quarantine');
      assert.match(job.error_detail, /kein PDF/);
      const provenance = JSON.parse(job.processing_provenance);
      assert.ok(existsSync(provenance.quarantined_path));
      assert.equal(readFileSync(provenance.quarantined_path, 'utf8'), text);
    });

    test('preanonymized PDF with a sidecar: ingested, processed into processed_reports_final with SensitiveMeta and states, source cleaned up', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} preanonymized\n`)]);
      const sidecar = { patient_first_name: 'Erika', patient_last_name: 'Pseudo', patient_dob: '1950-02-03', casenumber: 'F-1', examination_date: '2024-05-17', anonymized_text: 'Befund ohne Namen', text: 'Befund ohne Namen', source_document_type: 'befund', unknown_key: 42, center_name: '  ' };
      writeFileSync(join(dirs.preanonymized, 'doc1.json'), JSON.stringify(sidecar));
      const path = drop(dirs.preanonymized, 'doc1.pdf', content);
      assert.equal((await watcher().runOnce()).ingested, 1);
      assert.ok(!existsSync(path) && !existsSync(join(dirs.preanonymized, 'doc1.json')), 'file and sidecar removed');
      const [job] = await jobByHash(sha256(content));
      assert.ok(job);
      assert.equal(job.storage_tier, 'upload_preanonymized');
      const provenance = JSON.parse(job.processing_provenance);
      assert.equal(provenance.ingest_variant, 'preanonymized');
      assert.equal(provenance.sidecar_payload.center_name, null, 'blank → null');
      assert.equal(provenance.sidecar_payload.unknown_key, undefined, 'unknown keys ignored');

      await runtime.ingest.processing.process(job.id, context(runtime));
      const done = await runtime.db.selectFrom('upload_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
      assert.equal(done.status, 'anonymized');
      assert.equal(done.cleanup_status, 'completed', 'delete_after_success: eligible, then deleted');
      assert.ok(done.source_file_delete_eligible_at);
      assert.ok(!existsSync(join(dataRoot, 'storage', done.file)), 'stored upload copy deleted after success');
      const pdf = await runtime.db.selectFrom('pdf_files').selectAll().where('pdf_hash', '=', sha256(content)).executeTakeFirstOrThrow();
      assert.equal(pdf.processed_file, `processed_reports_final/${sha256(content)}.pdf`);
      assert.ok(await isEncryptedFile(join(dataRoot, 'storage', pdf.processed_file)));
      assert.equal(pdf.upload_job_id, job.id);
      assert.equal(pdf.document_type, 'befund');
      assert.equal(Number(pdf.sensitive_meta_id), Number(done.sensitive_meta_id));
      const meta = await runtime.db.selectFrom('sensitive_meta').selectAll().where('id', '=', Number(done.sensitive_meta_id)).executeTakeFirstOrThrow();
      assert.equal(meta.patient_last_name, 'Pseudo');
      assert.equal(meta.patient_dob, '1950-02-03');
      const state = await runtime.db.selectFrom('pdf_states').selectAll().where('pdf_file_id', '=', pdf.id).executeTakeFirstOrThrow();
      assert.ok(state.anonymized && state.anonymization_validated && state.sensitive_meta_processed && state.processing_started);

      // Running the job again changes nothing (at-least-once delivery).
      await runtime.ingest.processing.process(job.id, context(runtime));
      assert.equal((await runtime.db.selectFrom('pdf_files').select('id').where('pdf_hash', '=', sha256(content)).execute()).length, 1);
      // A completed job with usable media passes the integrity check: the same file again reuses it.
      const again = drop(dirs.preanonymized, 'doc1-again.pdf', content);
      assert.equal((await watcher().runOnce()).reused, 1);
      assert.ok(!existsSync(again));
    });

    test('SAP .txt + .json pairs are ingested as text documents; a .txt without its sidecar and a sidecar with wrong types are quarantined', async () => {
      const text = `Arztbrief ${engine}: Koloskopie ohne Befund.\n`;
      writeFileSync(join(dirs.preanonymized, 'sap_ish_0001_briefe_p1_c1.json'), JSON.stringify({ external_id: 'P1', external_id_origin: 'sap_ish', casenumber: 'C1', source_system: 'sap_ish', source_document_type: 'briefe', original_document_id: 'D-7', anonymized_text: text.trim(), text: text.trim(), patient_gender: 'female', examination_date: '2024-01-02', examination_time: '08:30:00', raw_columns: { primary_row: { row_number: 2 } } }));
      drop(dirs.preanonymized, 'sap_ish_0001_briefe_p1_c1.txt', text);
      writeFileSync(join(dirs.preanonymized, 'bad.json'), JSON.stringify({ casenumber: 12345, patient_dob: '03.02.1950' }));
      const bad = drop(dirs.preanonymized, 'bad.pdf', Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} bad sidecar\n`)]));
      const lonely = drop(dirs.preanonymized, 'lonely.txt', `ohne Begleitdatei ${engine}\n`);
      const summary = await watcher().runOnce();
      assert.equal(summary.ingested, 1, JSON.stringify(summary));
      assert.equal(summary.quarantined, 2);

      const [doc] = await jobByHash(sha256(text));
      assert.ok(doc);
      assert.equal(doc.content_type, 'text/plain');
      await runtime.ingest.processing.process(doc.id, context(runtime));
      const record = await runtime.db.selectFrom('pdf_files').selectAll().where('pdf_hash', '=', sha256(text)).executeTakeFirstOrThrow();
      assert.equal(record.pdf_type, 'preanonymized_text');
      assert.equal(record.document_type, 'briefe');
      assert.equal(record.processed_file, `processed_reports_final/${sha256(text)}.txt`);
      assert.equal(record.anonymized_text, text.trim());
      assert.equal(JSON.parse(record.raw_meta).original_document_id, 'D-7');

      const [badJob] = await jobByHash(sha256(Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} bad sidecar\n`)])));
      assert.ok(badJob);
      assert.equal(badJob.status, 'error');
      assert.match(badJob.error_detail, /casenumber: falscher Typ/);
      assert.match(badJob.error_detail, /patient_dob/);
      assert.ok(!badJob.error_detail.includes('12345'), 'values stay out of the reason');
      const badProvenance = JSON.parse(badJob.processing_provenance);
      assert.ok(existsSync(badProvenance.quarantined_path) && existsSync(badProvenance.quarantined_sidecar_path), 'file and sidecar quarantined');
      assert.ok(!existsSync(bad));
      const [lonelyJob] = await jobByHash(sha256(`ohne Begleitdatei ${engine}\n`));
      assert.match(lonelyJob!.error_detail, /fehlt die Begleitdatei/);
      assert.ok(!existsSync(lonely));

    });

    test('crash between job creation and removing the drop file: the next pass reuses the job and removes the file, nothing is ingested twice', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} crash window\n`)]);
      const path = drop(dirs.report, 'window.pdf', content);
      // What a watcher killed after step 2 leaves behind: its job (same idempotency key) and the drop file.
      const info = lstatSync(path, { bigint: true });
      const core = runtime.ingest.core;
      const id = core.newJobId();
      const stored = await core.storeSource(core.storedPathFor('upload_watcher', id, '.pdf'), createReadStream(path));
      const earlier = await core.ingest({
        id,
        stored,
        contentType: 'application/pdf',
        centerId: centerA,
        sourceSystem: 'watcher',
        idempotencyKey: `watcher:${stored.sha256Hex}:${info.mtimeNs}:${info.size}`,
        ingestMode: 'watcher',
        storageTier: 'upload_watcher',
        retentionPolicy: 'delete_after_success',
        originalFilename: 'window.pdf',
        createdBy: null,
        provenance: { entrypoint: 'file_watcher', ingest_mode: 'watcher', watched_path: path, file_type: 'report' },
      });
      assert.equal(earlier.created, true);
      const summary = await watcher().runOnce();
      assert.equal(summary.ingested, 0, JSON.stringify(summary));
      assert.equal(summary.reused, 1);
      assert.ok(!existsSync(path), 'the drop file is removed once its job is known');
      const jobs = await jobByHash(sha256(content));
      assert.deepEqual(jobs.map((j) => j.id), [id]);
      const owned = new Set((await runtime.db.selectFrom('upload_jobs').select('file').execute()).map((r) => r.file));
      const unowned = readdirSync(join(dataRoot, 'storage', 'upload_jobs', 'watcher')).filter((f) => !owned.has(`upload_jobs/watcher/${f}`));
      assert.deepEqual(unowned, [], 'the second copy was discarded');
    });

    test('low disk: hand-offs wait and the file stays; with room again it is ingested', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} low disk\n`)]);
      const path = drop(dirs.report, 'lowdisk.pdf', content);
      const low = await watcher({ statfs: async () => ({ freeBytes: 1_000_000_000, totalBytes: 100_000_000_000, usedFraction: 0.5 }) }).runOnce();
      assert.equal(low.ingested, 0);
      assert.equal(low.deferred, 1);
      assert.ok(existsSync(path));
      const full = await watcher({ statfs: async () => ({ freeBytes: 50_000_000_000, totalBytes: 100_000_000_000, usedFraction: 0.95 }) }).runOnce();
      assert.equal(full.deferred, 1);
      assert.ok(existsSync(path));
      assert.equal((await watcher().runOnce()).ingested, 1);
      assert.ok(!existsSync(path));
    });

    test('resident mode: an event is picked up right after the stability window', async () => {
      const w = watcher();
      await w.start();
      try {
        const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} resident\n`)]);
        const began = Date.now();
        drop(dirs.report, 'resident.pdf', content);
        let jobs: unknown[] = [];
        while (jobs.length === 0 && Date.now() - began < 10_000) {
          await new Promise((r) => setTimeout(r, 25));
          jobs = await jobByHash(sha256(content));
        }
        assert.equal(jobs.length, 1);
        assert.ok(Date.now() - began < 300 + 2000, `latency ${Date.now() - began} ms`);
      } finally {
        await w.stop();
      }
    });
  });
}

describe('lx-annotate watch as a process', () => {
  test('--dry-run creates the drop directories and the log, validates, and exits 0 without a database', () => {
    const dataRoot = tempDataRoot();
    const r = runCliProcess(['watch', '--dry-run'], { DJANGO_ENV: 'test', DATA_DIR: dataRoot, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none?sslmode=disable' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    for (const dir of ['video_import', 'report_import', 'preanonymized_import']) assert.ok(existsSync(join(dataRoot, 'import', dir)), dir);
    assert.match(readFileSync(join(dataRoot, 'logs', 'file_watcher.log'), 'utf8'), /dry run/);
  });

  test('--once ingests what is waiting and exits 0; a bad --log-level is a usage error', async () => {
    const t = await createTestDatabase('sqlite');
    try {
      const dataRoot = tempDataRoot();
      const env = ingestEnv(t.env, dataRoot, { WATCHER_STABLE_AFTER_SECONDS: '0', WATCHER_POLL_INTERVAL_SECONDS: '1' });
      const runtime = compose(configFrom(env), { logger: createLogger({ level: 'silent' }) });
      await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' });
      await runtime.close();
      await ensureRuntimeDirectories(configFrom(env).settings);
      const video = fakeMp4(256 * 1024);
      drop(join(dataRoot, 'import', 'video_import'), 'Koloskopie.mp4', video);
      const r = runCliProcess(['watch', '--once'], env);
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.ok(!existsSync(join(dataRoot, 'import', 'video_import', 'Koloskopie.mp4')));
      assert.ok(!r.stdout.includes('Koloskopie'), 'file names stay out of the log');
      const log = readFileSync(join(dataRoot, 'logs', 'file_watcher.log'), 'utf8');
      assert.match(log, /"event":"watcher_health"/);
      assert.ok(!log.includes('Koloskopie'));
      const check = compose(configFrom(env), { logger: createLogger({ level: 'silent' }) });
      const job = await check.db.selectFrom('upload_jobs').selectAll().where('content_hash', '=', sha256(video)).executeTakeFirstOrThrow();
      assert.equal(job.content_type, 'video/mp4');
      assert.equal(JSON.parse(job.processing_provenance).processor_name, 'olympus_cv_1500');
      await check.close();
      assert.equal(runCliProcess(['watch', '--once', '--log-level', 'loud'], env).status, 2);
    } finally {
      await t.dispose();
    }
  });
});

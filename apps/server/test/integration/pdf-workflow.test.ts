import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Worker } from '../../src/jobs/job-queue.js';
import { demoReportIdentifiers, writeDemoReportPdf } from '../../src/demo/demo-report-pdf.js';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import { IdentifierMatcher, knownIdentifiersOf, textPseudonyms } from '../../src/features/anonymization/index.js';
import type { App } from '../../src/http/app.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { PDFDocument } from 'pdf-lib';
import { ingestEnv, MINIMAL_PDF, signIn, upload, type Session } from './ingest-support.js';

/**
 * The report PDF through the product: `POST upload/` and a worker import the
 * demo report (SensitiveMeta holds the fake identities, the released PDF none
 * of them), apply-redactions writes a new version with history, validation
 * creates the pseudonymous records and the field metrics, and another
 * center's user sees nothing. The deep output checks (OCR of every page,
 * decompressed bytes, the painted-over PDF caught by the gate) are in
 * `pdf-proof.test.ts`; this test reads the released file with pdftotext/pdfinfo.
 */
const DEMO = demoReportIdentifiers();
const matcher = new IdentifierMatcher(knownIdentifiersOf(DEMO));
const fieldsIn = (text: string): string[] => [...new Set(matcher.find(text).map((h) => h.field))].sort();

describe('report PDF workflow on sqlite', () => {
  let t: TestDatabase;
  let runtime: Runtime;
  let app: App;
  let base: string;
  let worker: Worker;
  let dir: string;
  const sessions: Record<string, Session> = {};
  let pdfId: number;
  let uploadId: string;

  const api = async (session: Session, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers; raw: Buffer }> => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { ...session.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const raw = Buffer.from(await r.arrayBuffer());
    let parsed: unknown = raw.toString('utf8');
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      // binary or text
    }
    return { status: r.status, body: parsed, headers: r.headers, raw };
  };
  const until = async <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await fn();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const pdftext = (bytes: Buffer): { text: string; info: string } => {
    const file = join(dir, `check-${Date.now()}.pdf`);
    writeFileSync(file, bytes);
    const text = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-']).stdout.toString('utf8');
    const info = spawnSync('pdfinfo', ['-enc', 'UTF-8', '-meta', file]).stdout.toString('utf8') + spawnSync('pdfinfo', ['-enc', 'UTF-8', file]).stdout.toString('utf8');
    return { text, info };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lx-pdf-workflow-'));
    t = await createTestDatabase('sqlite');
    const config = configFrom(ingestEnv(t.env, tempDataRoot(), { LX_ANNOTATE_PSEUDONYM_SALT: 'workflow-test-salt' }));
    await ensureRuntimeDirectories(config.settings);
    runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
    app = createApiApp(runtime);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' });
    await runtime.centers.ensureCenter({ name: 'Klinik B', centerKey: 'klinik-b' });
    const roles = ['data:write', 'patient:write', 'anonymization:write'];
    await runtime.auth.users.create({ username: 'validator', password: 'Sommer-Endoskopie-7', roles, centerKeys: ['klinik-a'] }, 'test');
    await runtime.auth.users.create({ username: 'other', password: 'Sommer-Endoskopie-7', roles, centerKeys: ['klinik-b'] }, 'test');
    for (const name of ['validator', 'other']) sessions[name] = await signIn(base, name);
    worker = await runtime.jobQueue.work(['pipeline'], runtime.jobs.forQueues(['pipeline']), { concurrency: 1 });
  });
  after(async () => {
    await worker?.stop({ graceMs: 1000 });
    await app?.close();
    await runtime?.close();
    await t?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('upload + worker: SensitiveMeta holds the fake identities, texts and the released PDF carry none of them', async () => {
    const demoPdf = join(dir, 'demo-report.pdf');
    await writeDemoReportPdf(demoPdf);
    const r = await upload(base, sessions.validator, { name: 'Befund.pdf', content: readFileSync(demoPdf), type: 'application/pdf' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    uploadId = r.body.upload_id;
    const status = await until('the upload to finish', async () => {
      const s = await api(sessions.validator!, 'GET', `/api/upload/${uploadId}/status/`);
      return ['anonymized', 'error', 'lost'].includes(s.body.status) ? s.body : undefined;
    });
    assert.equal(status.status, 'anonymized', status.error_detail);
    assert.deepEqual(fieldsIn(status.anonymized_text), [], 'anonymized_text carries no identifier');
    const pseudonyms = textPseudonyms(DEMO, 'Klinik A', 'workflow-test-salt');
    assert.ok(status.anonymized_text.includes(pseudonyms.patient_last_name as string), 'deterministic pseudonyms of the center and salt');
    assert.ok(fieldsIn(status.text).includes('patient_last_name'), 'text is the raw report text');
    assert.equal(typeof status.sensitive_meta_id, 'number');

    const meta = await runtime.db.selectFrom('sensitive_meta').selectAll().where('id', '=', status.sensitive_meta_id).executeTakeFirstOrThrow();
    for (const field of ['patient_first_name', 'patient_last_name', 'patient_dob', 'casenumber', 'examination_date'] as const) assert.equal(meta[field], DEMO[field], field);

    const pdf = await runtime.db.selectFrom('pdf_files').selectAll().where('sensitive_meta_id', '=', status.sensitive_meta_id).executeTakeFirstOrThrow();
    pdfId = Number(pdf.id);
    assert.equal(pdf.processed_version, 1);
    assert.equal(pdf.gate_status, 'passed');

    const overview = await api(sessions.validator!, 'GET', '/endoreg-api/anonymization/items/overview/');
    const row = overview.body.find((i: any) => i.media_type === 'pdf' && i.id === pdfId);
    assert.equal(row.anonymization_status, 'done_processing_anonymization');
    assert.equal(row.upload_job.id, uploadId);

    const processed = await api(sessions.validator!, 'GET', `/api/media/pdfs/${pdfId}/stream/?type=processed`);
    assert.equal(processed.status, 200);
    assert.equal(processed.headers.get('content-type'), 'application/pdf');
    assert.match(processed.headers.get('cache-control') ?? '', /no-store/);
    assert.doesNotMatch(processed.headers.get('content-disposition') ?? '', /Befund|Müller/);
    const readings = pdftext(processed.raw);
    assert.match(readings.text, /Darmvorbereitung/, 'the released PDF is readable');
    assert.deepEqual(fieldsIn(readings.text), [], 'text layer of the released PDF');
    assert.deepEqual(fieldsIn(readings.info), [], 'metadata of the released PDF');
    const raw = await api(sessions.validator!, 'GET', `/api/media/pdfs/${pdfId}/stream/?type=raw`);
    assert.ok(fieldsIn(pdftext(raw.raw).text).includes('patient_last_name'), 'the raw original is kept and decrypts');

    const history = await api(sessions.validator!, 'GET', `/api/media/pdfs/${pdfId}/processing-history/`);
    const imported = history.body.find((e: any) => e.operation === 'import');
    assert.equal(imported.status, 'success');
    assert.equal(imported.processed_version, 1);
    const verification = history.body.find((e: any) => e.operation === 'release_gate');
    assert.equal(verification.status, 'success');
    assert.equal(verification.output.gate.status, 'passed');
    assert.equal(verification.config.run_history_id, imported.id);
    assert.doesNotMatch(JSON.stringify(history.body), /Müller|Lüdenscheidt|Jürgen|004711|1958/, 'history carries no identifier values');
  });

  test("another center's user sees none of it (404, not 403), and the status poll is rate limited", async () => {
    for (const path of [`/api/media/pdfs/${pdfId}/`, `/api/anonymization/${pdfId}/current/?type=pdf`, `/api/media/pdfs/${pdfId}/stream/?type=raw`, `/api/media/pdfs/${pdfId}/sensitive-metadata/`]) {
      assert.equal((await api(sessions.other!, 'GET', path)).status, 404, path);
    }
    assert.equal((await api(sessions.other!, 'POST', `/api/anonymization/${pdfId}/validate/?type=pdf`, { patient_first_name: 'A', patient_last_name: 'B', patient_dob: '01.01.1990', document_type: 'other' })).status, 404);
    const list = await api(sessions.other!, 'GET', '/api/media/pdfs/');
    assert.equal(list.body.count, 0);
    assert.ok(!(await api(sessions.other!, 'GET', '/api/anonymization/items/overview/')).body.some((i: any) => i.media_type === 'pdf'));

    const codes: number[] = [];
    for (let i = 0; i < 12; i += 1) codes.push((await api(sessions.validator!, 'GET', `/api/anonymization/${pdfId}/status/?type=pdf`)).status);
    assert.deepEqual(codes.slice(0, 10), Array(10).fill(200));
    assert.equal(codes[11], 429);
  });

  test('apply-redactions: a box from the correction UI gives version 2 with its history entry', async () => {
    const bad = await api(sessions.validator!, 'POST', `/api/media/pdfs/${pdfId}/apply-redactions/`, { boxes: [{ page: 1, x: 10, y: 10, width: -5, height: 10 }] });
    assert.equal(bad.status, 400);
    const r = await api(sessions.validator!, 'POST', `/api/media/pdfs/${pdfId}/apply-redactions/`, { boxes: [{ page: 1, x: 40, y: 700, width: 200, height: 40 }] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const entry = await until('apply-redactions to finish', async () => {
      const h = await api(sessions.validator!, 'GET', `/api/media/pdfs/${pdfId}/processing-history/`);
      const e = h.body.find((x: any) => x.id === r.body.history_id);
      return e && ['success', 'failed'].includes(e.status) ? e : undefined;
    });
    assert.equal(entry.status, 'success', entry.error_detail);
    assert.equal(entry.operation, 'apply_redactions');
    assert.equal(entry.processed_version, 2);
    assert.equal(entry.output.details.redaction.humanBoxes, 1);
    const detail = await api(sessions.validator!, 'GET', `/api/media/pdfs/${pdfId}/`);
    assert.equal(detail.body.processed_version, 2);
    assert.equal(detail.body.anonymization_status, 'done_processing_anonymization');
  });

  test('validate: document type required, then SensitiveMeta verified, pseudo patient + examination, field metrics, state validated', async () => {
    const current = await api(sessions.validator!, 'GET', `/api/anonymization/${pdfId}/current/?type=pdf`);
    assert.equal(current.status, 200);
    assert.equal(current.body.sensitive_meta.patient_last_name, DEMO.patient_last_name);
    assert.equal(current.body.release_gate.status, 'passed');
    const payload = {
      patient_first_name: DEMO.patient_first_name,
      patient_last_name: DEMO.patient_last_name,
      patient_gender: 'male',
      patient_dob: '03.07.1958',
      examination_date: '14.03.2024',
      casenumber: 'FN-2024-004712',
      anonymized_text: current.body.anonymized_text,
      file_type: 'pdf',
      tags: ['Nochmal Überprüfen'],
      validation_comment: 'ok',
      no_more_names_confirmed: 'confirmed',
    };
    const types = await api(sessions.validator!, 'GET', '/api/anonymization/document-types/dropdown/');
    assert.ok(types.body.some((d: any) => d.name === 'colonoscopy_report'));
    const missing = await api(sessions.validator!, 'POST', `/api/anonymization/${pdfId}/validate/`, payload);
    assert.equal(missing.status, 400);
    assert.ok(missing.body.allowed_document_types.includes('colonoscopy_report'));

    const ok = await api(sessions.validator!, 'POST', `/endoreg-api/anonymization/${pdfId}/validate/`, { ...payload, document_type: 'colonoscopy_report' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.anonymization_status, 'validated');
    const patient = await runtime.db.selectFrom('patients').selectAll().where('id', '=', ok.body.pseudo_patient_id).executeTakeFirstOrThrow();
    assert.equal(Number(patient.is_real_person), 0);
    assert.notEqual(patient.last_name, DEMO.patient_last_name);
    assert.equal(typeof ok.body.pseudo_examination_id, 'number');
    const metrics = await runtime.db.selectFrom('anonymization_field_metrics').selectAll().where('metric_id', '=', ok.body.metric_id).execute();
    assert.equal(metrics.length, 7);
    const casenumber = metrics.find((m) => m.field_name === 'casenumber');
    assert.equal(Number(casenumber?.changed), 1);
    assert.ok(casenumber && casenumber.similarity > 0.8 && casenumber.similarity < 1);
    assert.equal(Number(metrics.find((m) => m.field_name === 'patient_last_name')?.exact_match), 1);
    const meta = await api(sessions.validator!, 'GET', `/api/media/pdfs/${pdfId}/sensitive-metadata/`);
    assert.equal(meta.body.is_verified, true);
    assert.deepEqual(meta.body.tags, ['Nochmal Überprüfen']);
    let status = await api(sessions.validator!, 'GET', `/api/anonymization/${pdfId}/status/?file_type=pdf`);
    // The rate-limit test above may have used up this poll window: a poller waits as told.
    if (status.status === 429) {
      await new Promise((r) => setTimeout(r, Number(status.body.retry_after) * 1000 + 100));
      status = await api(sessions.validator!, 'GET', `/api/anonymization/${pdfId}/status/?file_type=pdf`);
    }
    assert.deepEqual(status.body, { file_id: pdfId, file_type: 'pdf', anonymization_status: 'validated', processing_locked: false });
    const resolution = await api(sessions.validator!, 'GET', `/api/media/pdfs/${pdfId}/case-resolution/`);
    assert.equal(resolution.body.status, 'linked');
    assert.equal(resolution.body.patient_examination_id, ok.body.pseudo_examination_id);
    assert.equal((await api(sessions.validator!, 'POST', `/api/anonymization/${pdfId}/start/?type=pdf`)).status, 409, 'a validated file is not restarted');
    const audit = await runtime.db.selectFrom('audit_ledger').select('data').where('action', '=', 'anonymization.validated').where('object_pk', '=', String(pdfId)).execute();
    assert.equal(audit.length, 1);
    assert.doesNotMatch(audit[0]!.data, /Müller|Jürgen|1958/);
  });

  test('bad inputs end in a clear error_detail, the source quarantined, no PDF row: blank, truncated, 1000 pages, huge pages', async () => {
    const plain = join(dir, 'plain-bad.pdf');
    await writeDemoReportPdf(plain);
    const truncated = readFileSync(plain).subarray(0, 1500);
    const many = await PDFDocument.create();
    for (let i = 0; i < 1000; i += 1) many.addPage([200, 200]).drawText(`Seite ${i + 1}`, { x: 20, y: 100, size: 12 });
    const huge = await PDFDocument.create();
    huge.addPage([14_000, 14_400]).drawText('Seite', { x: 20, y: 100, size: 400 });
    huge.addPage([20_000, 20_000]).drawText('Seite', { x: 20, y: 100, size: 400 });
    const cases: [string, Buffer, RegExp][] = [
      ['leer.pdf', Buffer.concat([MINIMAL_PDF, Buffer.from('% blank\n')]), /weder Text noch Bilder/],
      ['abgeschnitten.pdf', Buffer.from(truncated), /beschädigt oder unvollständig/],
      ['tausend.pdf', Buffer.from(await many.save()), /mehr Seiten als erlaubt/],
      ['riesig.pdf', Buffer.from(await huge.save()), /Seite der PDF-Datei ist größer als erlaubt/],
    ];
    const pdfsBefore = (await runtime.db.selectFrom('pdf_files').select('id').execute()).length;
    for (const [name, content, detail] of cases) {
      const r = await upload(base, sessions.validator, { name, content, type: 'application/pdf' });
      assert.equal(r.status, 201, `${name}: ${JSON.stringify(r.body)}`);
      const status = await until(`${name} to fail`, async () => {
        const s = await api(sessions.validator!, 'GET', `/api/upload/${r.body.upload_id}/status/`);
        return ['anonymized', 'error', 'lost'].includes(s.body.status) ? s.body : undefined;
      });
      assert.equal(status.status, 'error', name);
      assert.match(status.error_detail, detail, name);
      const job = await runtime.db.selectFrom('upload_jobs').selectAll().where('id', '=', r.body.upload_id).executeTakeFirstOrThrow();
      assert.equal(job.storage_class, 'quarantine', `${name}: the original stays stored`);
    }
    assert.equal((await runtime.db.selectFrom('pdf_files').select('id').execute()).length, pdfsBefore, 'nothing half-written');
  });

  test('a password-protected PDF fails with a clear error_detail; the original stays stored (quarantine), no PDF row', async () => {
    const plain = join(dir, 'plain.pdf');
    await writeDemoReportPdf(plain);
    const locked = join(dir, 'locked.pdf');
    const q = spawnSync('qpdf', ['--encrypt', 'user-pw', 'owner-pw', '256', '--', plain, locked]);
    assert.equal(q.status, 0, q.stderr.toString());
    const pdfsBefore = (await runtime.db.selectFrom('pdf_files').select('id').execute()).length;
    const r = await upload(base, sessions.validator, { name: 'gesperrt.pdf', content: readFileSync(locked), type: 'application/pdf' });
    const status = await until('the locked upload to fail', async () => {
      const s = await api(sessions.validator!, 'GET', `/api/upload/${r.body.upload_id}/status/`);
      return ['anonymized', 'error', 'lost'].includes(s.body.status) ? s.body : undefined;
    });
    assert.equal(status.status, 'error');
    assert.match(status.error_detail, /passwortgeschützt/);
    assert.equal((await runtime.db.selectFrom('pdf_files').select('id').execute()).length, pdfsBefore);
    const job = await runtime.db.selectFrom('upload_jobs').selectAll().where('id', '=', r.body.upload_id).executeTakeFirstOrThrow();
    assert.equal(job.storage_class, 'quarantine');
    const overview = await api(sessions.validator!, 'GET', '/api/anonymization/items/overview/');
    const row = overview.body.find((i: any) => i.media_type === 'quarantine' && i.upload_job?.id === r.body.upload_id);
    assert.ok(row?.read_only, 'the quarantined upload is a read-only row of the overview');
  });
});

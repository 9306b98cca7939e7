import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PDFDocument } from 'pdf-lib';
import { nowIso } from '../../src/db/index.js';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import { gateResult, IdentifierMatcher, knownIdentifiersOf, PseudonymizationService, type ReportPdfOutcome } from '../../src/features/anonymization/index.js';
import { ValidationService } from '../../src/features/anonymization/workflow/index.js';
import type { Actor } from '../../src/features/auth/index.js';
import { findPdfFile, insertPdfFile, insertPdfHistory } from '../../src/features/media/index.js';
import { createLogger } from '../../src/log/logger.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { Conflict, NotFound } from '../../src/shared/errors.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { ingestEnv } from './ingest-support.js';

/**
 * The workflow's SQL on both engines, without the OCR run (that is in
 * pdf-workflow.test.ts): a release-gate hit recorded for a PDF makes it
 * `failed` with the reason in its history, refuses validation and the
 * processed stream; a passing run gives version 1, validation then writes
 * pseudo records and field metrics; another center's user gets 404.
 */
const IDENTITY = { patient_first_name: 'Jürgen', patient_last_name: 'Müller-Lüdenscheidt', patient_dob: '1958-07-03', examination_date: '2024-03-14', casenumber: 'FN-2024-004711' };

const actorFor = (centerId: number, name: string): Actor => ({
  userId: centerId,
  username: name,
  roles: ['patient:write', 'anonymization:write'],
  centerIds: [centerId],
  isSuperuser: false,
  isStaff: false,
  authSource: 'local',
  oidcSubject: null,
  mustChangePassword: false,
  via: 'session',
});

function outcome(blocked: boolean): ReportPdfOutcome {
  const matcher = new IdentifierMatcher(knownIdentifiersOf(IDENTITY));
  const gate = gateResult({
    mediaType: 'pdf',
    matcher,
    findings: blocked ? [{ field: 'patient_last_name', location: 'text-layer:page-1', label: 'Textebene, Seite 1', kind: 'exact', count: 1 }] : [],
    checkedSources: { 'text-layer': 1, ocr: 1 },
    startedAt: Date.now(),
  });
  const now = nowIso();
  return {
    record: {
      operation: 'report_import',
      status: blocked ? 'failed' : 'success',
      started_at: now,
      finished_at: now,
      error_detail: blocked ? `Freigabeprüfung nicht bestanden: ${gate.reasons.join('; ')}` : '',
      ...(blocked ? { error_code: 'release_gate_blocked' } : {}),
      details: { page_count: 1, gate },
      ...(blocked ? {} : { output_sha256: 'a'.repeat(64) }),
    },
    text: 'Patient: Müller-Lüdenscheidt, Jürgen',
    anonymizedText: 'Patient: Pseudo, Name',
    extraction: { fields: { patient_last_name: { value: IDENTITY.patient_last_name, confidence: 0.9, source: 'rules' } }, method: 'rules', warnings: [] },
    gate,
    redaction: { pageCount: 1, automaticBoxes: 1, humanBoxes: 0, correctionBoxes: 0, hitsByField: {}, outputBytes: 10, outputSha256: 'a'.repeat(64) },
  };
}

for (const engine of ENGINES) {
  describe(`PDF validation workflow SQL on ${engine}`, () => {
    let t: TestDatabase;
    let runtime: Runtime;
    let dir: string;
    let centerA: number;
    let centerB: number;
    let pdfId: number;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lx-pdf-engines-'));
      t = await createTestDatabase(engine);
      const config = configFrom(ingestEnv(t.env, tempDataRoot()));
      await ensureRuntimeDirectories(config.settings);
      runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
      centerA = (await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' })).id;
      centerB = (await runtime.centers.ensureCenter({ name: 'Klinik B', centerKey: 'klinik-b' })).id;
      const now = nowIso();
      const meta = await runtime.db.insertInto('sensitive_meta').values({ center_id: centerA, ...IDENTITY, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
      pdfId = await insertPdfFile(runtime.db, { uuid: randomUUID(), centerId: centerA, rawPath: 'raw_pdfs/x.pdf', pdfHash: `hash-${engine}`, originalFileName: 'Befund.pdf', uploadJobId: null, sensitiveMetaId: Number(meta.id) }, now);
    });
    after(async () => {
      await runtime?.close();
      await t?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a release-gate hit: failed with the reason, validation and the processed stream refused', async () => {
      const { reports, workflow, validation, pdfs } = runtime.anonymization;
      const pdf = (await findPdfFile(runtime.db, pdfId, 'all'))!;
      const startedAt = nowIso();
      const historyId = await insertPdfHistory(runtime.db, { pdfFileId: pdfId, centerId: centerA, operation: 'import', status: 'running', actor: null }, startedAt);
      await reports.recordOutcome(pdf, historyId, startedAt, outcome(true), join(dir, 'never-read.pdf'));
      const actor = actorFor(centerA, 'validator');
      assert.equal((await workflow.status(actor, pdfId, 'pdf')).anonymization_status, 'failed');
      const history = await pdfs.history(actor, pdfId);
      const run = history.find((e) => e.operation === 'import');
      assert.equal(run?.status, 'failed');
      assert.match(run?.error_detail ?? '', /Nachname gefunden: Textebene, Seite 1/);
      assert.equal(run?.processed_version, null);
      const verification = history.find((e) => e.operation === 'release_gate');
      assert.equal(verification?.status, 'failed');
      assert.match(verification?.error_detail ?? '', /^Nachname gefunden/);
      const current = await workflow.current(actor, pdfId, 'pdf', '/api/');
      assert.equal(current.release_gate.status, 'blocked');
      assert.equal(current.processed_url, null);
      await assert.rejects(validation.validate(actor, pdfId, 'pdf', { patient_first_name: 'Jürgen', patient_last_name: 'Müller-Lüdenscheidt', patient_dob: '03.07.1958', document_type: 'other' }), Conflict);
      await assert.rejects(pdfs.open(actor, pdfId, 'processed'), NotFound);
      const row = (await workflow.overview(actor)).find((i) => i.media_type === 'pdf' && i.id === pdfId);
      assert.equal(row?.anonymization_status, 'failed');
      assert.match(row?.error_detail ?? '', /^Freigabeprüfung nicht bestanden: Nachname gefunden/, 'the validator sees the reason in the overview');
      assert.deepEqual(await workflow.hasRaw(actor, pdfId, 'pdf'), { file_id: pdfId, file_type: 'pdf', has_raw: true });
      const reset = await workflow.resetStatus(actor, pdfId, 'pdf');
      assert.equal(reset.anonymization_status, 'not_started');
    });

    test('sensitive metadata: patch with German dates, bad dates refused, verify; scoped to the center', async () => {
      const { sensitiveMeta } = runtime.anonymization;
      const actor = actorFor(centerA, 'validator');
      await assert.rejects(sensitiveMeta.patch(actor, pdfId, 'pdf', { patient_dob: '31.02.1958' }), /Geburtsdatum ist kein gültiges Datum/);
      const patched = await sensitiveMeta.patch(actor, pdfId, 'pdf', { casenumber: 'FN-2024-004711', patient_dob: '03.07.1958' });
      assert.equal(patched.patient_dob, '1958-07-03');
      assert.equal(patched.is_verified, false);
      const verified = await sensitiveMeta.verify(actor, pdfId, 'pdf', {});
      assert.equal(verified.is_verified, true);
      await assert.rejects(sensitiveMeta.get(actorFor(centerB, 'other'), pdfId, 'pdf'), NotFound);
      await assert.rejects(sensitiveMeta.get(actor, pdfId, 'video'), NotFound, 'the type selects the id space');
    });

    test('a passing run gives version 1; validation writes pseudo records and metrics; other centers get 404', async () => {
      const { reports, workflow, validation, pdfs } = runtime.anonymization;
      const processed = join(dir, 'processed.pdf');
      const doc = await PDFDocument.create();
      doc.addPage([200, 200]);
      writeFileSync(processed, await doc.save());
      const pdf = (await findPdfFile(runtime.db, pdfId, 'all'))!;
      const startedAt = nowIso();
      const historyId = await insertPdfHistory(runtime.db, { pdfFileId: pdfId, centerId: centerA, operation: 'reimport', status: 'running', actor: 'validator' }, startedAt);
      await reports.recordOutcome(pdf, historyId, startedAt, outcome(false), processed);
      const actor = actorFor(centerA, 'validator');
      const other = actorFor(centerB, 'other');
      assert.equal((await workflow.status(actor, pdfId, undefined)).anonymization_status, 'done_processing_anonymization');
      const opened = await pdfs.open(actor, pdfId, 'processed');
      opened.stream.destroy();
      assert.ok(opened.sizeBytes > 0);
      assert.equal((await pdfs.detail(actor, pdfId)).processed_version, 1);

      await assert.rejects(workflow.status(other, pdfId, 'pdf'), NotFound);
      await assert.rejects(pdfs.detail(other, pdfId), NotFound);
      await assert.rejects(validation.validate(other, pdfId, 'pdf', { patient_first_name: 'A', patient_last_name: 'B', patient_dob: '01.01.1990', document_type: 'other' }), NotFound);

      const result = await validation.validate(actor, pdfId, 'pdf', {
        patient_first_name: 'Jürgen',
        patient_last_name: 'Müller-Lüdenscheidt',
        patient_dob: '03.07.1958',
        examination_date: '14.03.2024',
        casenumber: 'FN-2024-004711',
        document_type: 'endoscopy_report',
        tags: ['Ausgeschlossen'],
      });
      assert.equal(result.anonymization_status, 'validated');
      assert.ok(result.pseudo_examination_id);
      assert.deepEqual(result.field_metrics.filter((m) => m.changed).map((m) => m.field_name), []);
      const metric = await runtime.db.selectFrom('anonymization_validation_metrics').selectAll().where('id', '=', result.metric_id).executeTakeFirstOrThrow();
      assert.equal(Number(metric.fields_total), 7);
      assert.equal(metric.document_type, 'endoscopy_report');
      assert.equal((await workflow.status(actor, pdfId, 'pdf')).anonymization_status, 'validated');
      // A second validation of the same identity reuses the pseudo records by hash.
      const again = await validation.validate(actor, pdfId, 'pdf', { patient_first_name: 'Jürgen', patient_last_name: 'Müller-Lüdenscheidt', patient_dob: '03.07.1958', examination_date: '14.03.2024', document_type: 'endoscopy_report' });
      assert.equal(again.pseudo_patient_id, result.pseudo_patient_id);
      assert.equal(again.pseudo_examination_id, result.pseudo_examination_id);
      const cleared = await workflow.clearLocks(actor, 'pdf');
      assert.equal(cleared.cleared, 0);

      const { sensitiveMeta } = runtime.anonymization;
      assert.equal((await sensitiveMeta.caseResolution(actor, pdfId, 'pdf')).patient_examination_id, result.pseudo_examination_id);
      const created = await sensitiveMeta.resolveCase(actor, pdfId, 'pdf', { create: true });
      assert.equal(created.status, 'linked');
      assert.notEqual(created.patient_examination_id, result.pseudo_examination_id);
      assert.ok(created.suggestions.some((s) => s.patient_examination_id === result.pseudo_examination_id), 'the pseudo patient\'s examinations are suggested');
      const relinked = await sensitiveMeta.resolveCase(actor, pdfId, 'pdf', { patient_examination_id: result.pseudo_examination_id! });
      assert.equal(relinked.patient_examination_id, result.pseudo_examination_id);
      await assert.rejects(sensitiveMeta.resolveCase(other, pdfId, 'pdf', { patient_examination_id: result.pseudo_examination_id! }), NotFound);
    });

    test('LX_ANNOTATE_DIRECT_IDENTIFIER_POLICY=clear_direct_identifiers: validation erases names, DOB and case number, keeps the hashes, leaves a tombstone', async () => {
      const actor = actorFor(centerA, 'validator');
      const clearing = new ValidationService(runtime.db, runtime.audit, new PseudonymizationService(runtime.db, runtime.audit, runtime.settings.anonymization.pseudonymSalt), 'clear_direct_identifiers');
      const result = await clearing.validate(actor, pdfId, 'pdf', { patient_first_name: 'Jürgen', patient_last_name: 'Müller-Lüdenscheidt', patient_dob: '03.07.1958', examination_date: '14.03.2024', casenumber: 'FN-2024-004711', document_type: 'endoscopy_report' });
      assert.equal(result.anonymization_status, 'validated');
      const meta = await runtime.db.selectFrom('sensitive_meta').selectAll().where('id', '=', result.sensitive_meta_id).executeTakeFirstOrThrow();
      assert.equal(meta.patient_first_name, null);
      assert.equal(meta.patient_last_name, null);
      assert.equal(meta.patient_dob, null);
      assert.equal(meta.casenumber, null);
      assert.ok(meta.cleared_at);
      assert.match(meta.patient_hash ?? '', /^[0-9a-f]{64}$/, 'the pseudonym hashes stay');
      const tombstone = JSON.parse(String(meta.tombstone)) as { policy: string; cleared_fields_count: number };
      assert.equal(tombstone.policy, 'clear_direct_identifiers');
      assert.ok(tombstone.cleared_fields_count >= 4);
      assert.doesNotMatch(String(meta.tombstone), /Müller|Jürgen|1958|FN-2024/, 'the tombstone holds no identifier');
      await assert.rejects(clearing.validate(actor, pdfId, 'pdf', { patient_first_name: 'X', patient_last_name: 'Y', patient_dob: '01.01.1990', document_type: 'endoscopy_report' }), Conflict, 'a cleared file is closed');
    });
  });
}

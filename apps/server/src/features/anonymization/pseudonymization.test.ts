import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, Secret } from '../../config/index.js';
import { nowIso } from '../../db/index.js';
import { Conflict, Invalid, NotFound } from '../../shared/errors.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { configFrom, productionEnv, tempDataRoot } from '../../../test/helpers/env.js';
import { AuditLedger } from '../audit/index.js';
import {
  examinationHash,
  findSensitiveMeta,
  IdentifierMatcher,
  patientHash,
  PseudonymizationService,
  pseudoPatientProfile,
  reportPdfContextFrom,
  textPseudonyms,
  Tombstone,
} from './index.js';

const IDENTITY = { firstName: 'Jürgen', lastName: 'Müller-Lüdenscheidt', dob: '1958-07-03', centerName: 'university_hospital_wuerzburg' };

describe('hashes as the original computes them', () => {
  test('known answers: sha256(sha256(first last dob center dob exam serial salt))', () => {
    assert.equal(patientHash(IDENTITY, 's3cret-salt'), '6f77e7023d446c53b8b6fba7756ec66425b40ece6432543da52dfd9fa03234f7');
    assert.equal(examinationHash({ ...IDENTITY, examinationDate: '2024-03-14' }, 's3cret-salt'), 'ec7e9c2cef66c2aec1e567f99f90bbbd57718eaf41b2fc715b85c5bad0b4ccfd');
  });

  test('agrees with an independent Python implementation of endoreg-db utils/hashs.py', () => {
    const script = `
import hashlib, sys
from datetime import date
def ds(d): return "" if d == date(1900,1,1) else d.strftime("%Y-%m-%d")
def h(first, last, dob, center, exam, salt):
    s = f"{first}{last}{ds(dob)}{center}{ds(dob)}{ds(exam)}{''}{salt}"
    return hashlib.sha256(hashlib.sha256(s.encode()).hexdigest().encode()).hexdigest()
print(h("Ärzte Ösi", "van der Ühl", date(1931,12,31), "Klinik Süd", date(1900,1,1), "päpper"))
print(h("Ärzte Ösi", "van der Ühl", date(1931,12,31), "Klinik Süd", date(2001,2,3), "päpper"))
`;
    const run = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const [p, e] = run.stdout.trim().split('\n');
    const identity = { firstName: 'Ärzte Ösi', lastName: 'van der Ühl', dob: '1931-12-31', centerName: 'Klinik Süd' };
    assert.equal(patientHash(identity, 'päpper'), p);
    assert.equal(examinationHash({ ...identity, examinationDate: '2001-02-03' }, 'päpper'), e);
  });

  test('every input matters: salt, names, DOB, center, examination date', () => {
    const base = patientHash(IDENTITY, 'a');
    assert.notEqual(patientHash(IDENTITY, 'b'), base);
    assert.notEqual(patientHash({ ...IDENTITY, firstName: 'Juergen' }, 'a'), base);
    assert.notEqual(patientHash({ ...IDENTITY, dob: '1958-07-04' }, 'a'), base);
    assert.notEqual(patientHash({ ...IDENTITY, centerName: 'other' }, 'a'), base);
    assert.notEqual(examinationHash({ ...IDENTITY, examinationDate: '2024-03-14' }, 'a'), examinationHash({ ...IDENTITY, examinationDate: '2024-03-15' }, 'a'));
  });
});

describe('pseudo identities', () => {
  test('deterministic, by gender, DOB within the real birth year, never the real name', () => {
    const hash = patientHash(IDENTITY, 'salt');
    const male = pseudoPatientProfile(hash, 'male', 1958);
    assert.deepEqual(pseudoPatientProfile(hash, 'male', 1958), male);
    assert.equal(male.dob.slice(0, 4), '1958');
    for (let i = 0; i < 200; i += 1) {
      const p = pseudoPatientProfile(`seed-${i}`, i % 2 ? 'female' : 'male', 2000, new Set(['schneider', 'anna']));
      assert.equal(p.dob.slice(0, 4), '2000');
      assert.notEqual(p.lastName, 'Schneider');
      assert.notEqual(p.firstName, 'Anna');
    }
    const dobs = new Set(Array.from({ length: 50 }, (_, i) => pseudoPatientProfile(`s${i}`, 'female', 1970).dob));
    assert.ok(dobs.size > 30, 'DOBs spread over the year');
  });

  test('text pseudonyms never meet the matcher of the real identifiers', () => {
    const values = {
      patient_first_name: 'Jürgen', patient_last_name: 'Müller-Lüdenscheidt', patient_dob: '1958-07-03', casenumber: 'FN-2024-004711',
      examination_date: '2024-03-14', examiner_first_name: 'Hildegard', examiner_last_name: 'Östreicher', endoscope_sn: '2845117',
    };
    const pseudonyms = textPseudonyms(values, 'center', 'salt');
    assert.deepEqual(textPseudonyms(values, 'center', 'salt'), pseudonyms);
    const matcher = new IdentifierMatcher(Object.entries(values).map(([field, value]) => ({ field: field as never, value })));
    for (const pseudonym of Object.values(pseudonyms)) assert.equal(matcher.find(pseudonym ?? '').length, 0, `pseudonym ${pseudonym}`);
    assert.equal(pseudonyms.patient_dob?.slice(-4), '1958');
    assert.equal(pseudonyms.examination_date?.slice(-4), '2024');
    const profile = pseudoPatientProfile(patientHash({ ...IDENTITY, centerName: 'center' }, 'salt'), 'male', 1958, new Set(['juergen', 'mueller', 'luedenscheidt', 'hildegard', 'oestreicher']));
    assert.equal(pseudonyms.patient_last_name, profile.lastName, 'the text uses the pseudo patient\'s own name');
  });
});

describe('pseudonym salt setting', () => {
  const dev = (extra: Record<string, string> = {}) => ({ DJANGO_ENV: 'development', DATA_DIR: tempDataRoot(), ...extra });

  test('production refuses a missing or default salt; DJANGO_SALT and the _FILE variant are accepted', () => {
    const { LX_ANNOTATE_PSEUDONYM_SALT: _salt, ...noSalt } = productionEnv(tempDataRoot());
    assert.throws(() => configFrom(noSalt), (e: unknown) => e instanceof ConfigError && e.variable === 'LX_ANNOTATE_PSEUDONYM_SALT');
    assert.throws(() => configFrom({ ...noSalt, DJANGO_SALT: 'default_salt' }), (e: unknown) => e instanceof ConfigError && !e.message.includes('default_salt'));
    assert.equal(configFrom({ ...noSalt, DJANGO_SALT: 'from-the-original' }).settings.anonymization.pseudonymSalt.reveal(), 'from-the-original');
    const file = join(tempDataRoot(), 'salt');
    writeFileSync(file, 'salt-from-file\n');
    chmodSync(file, 0o600);
    const loaded = configFrom({ ...noSalt, LX_ANNOTATE_PSEUDONYM_SALT_FILE: file });
    assert.equal(loaded.settings.anonymization.pseudonymSalt.reveal(), 'salt-from-file');
    assert.equal(String(loaded.settings.anonymization.pseudonymSalt), '[secret]');
  });

  test('development falls back to the original default; LLM settings are validated', () => {
    const s = configFrom(dev()).settings.anonymization;
    assert.equal(s.pseudonymSaltIsDefault, true);
    assert.equal(s.llm.endpoint, undefined);
    assert.equal(s.llm.model, 'lx-gemma4-e2b-json');
    assert.equal(s.pdfMaxPages, 300);
    assert.equal(configFrom(dev({ LX_ANNOTATE_LLM_ENDPOINT: 'http://127.0.0.1:11434' })).settings.anonymization.llm.endpoint, 'http://127.0.0.1:11434');
    assert.throws(() => configFrom(dev({ LX_ANNOTATE_LLM_ENDPOINT: 'ftp://x' })), (e: unknown) => e instanceof ConfigError && e.variable === 'LX_ANNOTATE_LLM_ENDPOINT');
  });

  test('the report context takes page cap, LLM and salt from the settings', () => {
    const plain = reportPdfContextFrom(configFrom(dev({ LX_ANNOTATE_PDF_MAX_PAGES: '40' })).settings, { workDir: '/w', centerName: 'c' });
    assert.equal(plain.limits.maxPages, 40);
    assert.equal(plain.llm, undefined, 'no endpoint: no LLM');
    const withLlm = reportPdfContextFrom(configFrom(dev({ LX_ANNOTATE_LLM_ENDPOINT: 'http://127.0.0.1:11434', LX_ANNOTATE_LLM_TIMEOUT_SECONDS: '7', DJANGO_SALT: 'pepper' })).settings, { workDir: '/w', centerName: 'c' });
    assert.deepEqual(withLlm.llm, { endpoint: 'http://127.0.0.1:11434', model: 'lx-gemma4-e2b-json', timeoutMs: 7000 });
    assert.equal(withLlm.salt.reveal(), 'pepper');
  });
});

for (const engine of ENGINES) {
  describe(`pseudonymization records on ${engine}`, () => {
    let t: TestDatabase;
    let service: PseudonymizationService;
    let audit: AuditLedger;
    let centerA: number;
    let centerB: number;
    const salt = 'db-test-salt';

    before(async () => {
      t = await createTestDatabase(engine);
      audit = new AuditLedger(t.db);
      service = new PseudonymizationService(t.db, audit, new Secret(salt));
      const now = nowIso();
      centerA = Number((await t.db.insertInto('centers').values({ name: 'zentrum_a', center_key: 'zentrum-a', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id);
      centerB = Number((await t.db.insertInto('centers').values({ name: 'zentrum_b', center_key: 'zentrum-b', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id);
    });
    after(() => t.dispose());

    const meta = async (centerId: number, values: Record<string, unknown> = {}): Promise<number> => {
      const now = nowIso();
      const row = await t.db
        .insertInto('sensitive_meta')
        .values({
          center_id: centerId,
          patient_first_name: 'Jürgen',
          patient_last_name: 'Müller-Lüdenscheidt',
          patient_dob: '1958-07-03',
          patient_gender: 'male',
          examination_date: '2024-03-14',
          casenumber: 'FN-2024-004711',
          examiner_first_name: 'Hildegard',
          examiner_last_name: 'Östreicher',
          text: 'Patient: Müller-Lüdenscheidt, Jürgen',
          created_at: now,
          updated_at: now,
          ...values,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    };

    test('creates the pseudo patient and examination, reuses them by hash', async () => {
      const first = await meta(centerA);
      const a = await service.ensurePseudoRecords(first, { centerId: centerA, actor: 'validator' });
      assert.equal(a.patientCreated, true);
      assert.equal(a.examinationCreated, true);
      assert.equal(a.patientHash, patientHash({ ...IDENTITY, centerName: 'zentrum_a' }, salt));
      const patient = await t.db.selectFrom('patients').selectAll().where('id', '=', a.pseudoPatientId).executeTakeFirstOrThrow();
      assert.equal(Boolean(patient.is_real_person), false);
      assert.equal(patient.center_id, centerA);
      assert.equal(patient.dob?.slice(0, 4), '1958');
      assert.notEqual(patient.last_name, 'Müller-Lüdenscheidt');
      assert.equal(patient.gender, 'male');
      const examination = await t.db.selectFrom('patient_examinations').selectAll().where('id', '=', a.pseudoExaminationId as number).executeTakeFirstOrThrow();
      assert.equal(examination.patient_id, a.pseudoPatientId);
      assert.equal(examination.hash, a.examinationHash);
      assert.equal(examination.date_start, null);

      const same = await meta(centerA);
      const b = await service.ensurePseudoRecords(same, { centerId: centerA, actor: 'validator' });
      assert.deepEqual([b.pseudoPatientId, b.pseudoExaminationId, b.patientCreated, b.examinationCreated], [a.pseudoPatientId, a.pseudoExaminationId, false, false]);

      const later = await meta(centerA, { examination_date: '2025-01-10' });
      const c = await service.ensurePseudoRecords(later, { centerId: centerA, actor: 'validator' });
      assert.equal(c.pseudoPatientId, a.pseudoPatientId, 'same patient');
      assert.notEqual(c.pseudoExaminationId, a.pseudoExaminationId, 'another examination');

      const stored = await findSensitiveMeta(t.db, first, centerA);
      assert.equal(stored?.pseudo_patient_id, a.pseudoPatientId);
      assert.equal(stored?.examination_hash, a.examinationHash);
      const entries = await t.db.selectFrom('audit_ledger').select(['action', 'data']).where('object_pk', '=', String(first)).execute();
      assert.equal(entries.length, 1);
      assert.doesNotMatch(entries[0]?.data ?? '', /Müller|Jürgen|1958/);
    });

    test('center isolation: another center neither sees the record nor shares pseudo patients', async () => {
      const mine = await meta(centerA);
      await assert.rejects(service.ensurePseudoRecords(mine, { centerId: centerB, actor: 'x' }), NotFound);
      const theirs = await meta(centerB);
      const b = await service.ensurePseudoRecords(theirs, { centerId: centerB, actor: 'x' });
      const a = await service.ensurePseudoRecords(mine, { centerId: centerA, actor: 'x' });
      assert.notEqual(a.pseudoPatientId, b.pseudoPatientId, 'the center name is part of the hash');
    });

    test('missing DOB is refused, not invented; a missing examination date links the patient only', async () => {
      const noDob = await meta(centerA, { patient_dob: null });
      await assert.rejects(service.ensurePseudoRecords(noDob, { centerId: centerA, actor: 'x' }), (e: unknown) => e instanceof Invalid && /Geburtsdatum/.test(e.message));
      const noExam = await meta(centerA, { examination_date: null });
      const outcome = await service.ensurePseudoRecords(noExam, { centerId: centerA, actor: 'x' });
      assert.equal(outcome.pseudoExaminationId, null);
      assert.equal(outcome.examinationHash, null);
    });

    test('direct identifiers are cleared only after validation, leaving a tombstone and the hashes', async () => {
      const id = await meta(centerA);
      const linked = await service.ensurePseudoRecords(id, { centerId: centerA, actor: 'x' });
      await assert.rejects(service.applyDirectIdentifierPolicy(id, { centerId: centerA, actor: 'x' }, 'clear_direct_identifiers'), Conflict);
      await t.db.updateTable('sensitive_meta').set({ names_verified: true, dob_verified: true }).where('id', '=', id).execute();
      await assert.rejects(service.applyDirectIdentifierPolicy(id, { centerId: centerB, actor: 'x' }, 'clear_direct_identifiers'), NotFound);
      const tombstone = await service.applyDirectIdentifierPolicy(id, { centerId: centerA, actor: 'x' }, 'clear_direct_identifiers');
      assert.equal(tombstone.policy, 'clear_direct_identifiers');
      assert.ok(tombstone.policy === 'clear_direct_identifiers' && tombstone.cleared_fields_count >= 8 && tombstone.cleared_examiners && tombstone.pseudonym_hashes_retained);
      const row = await findSensitiveMeta(t.db, id, centerA);
      assert.ok(row);
      for (const column of ['patient_first_name', 'patient_last_name', 'patient_dob', 'examination_date', 'casenumber', 'examiner_first_name', 'examiner_last_name', 'text'] as const) {
        assert.equal(row[column], null, column);
      }
      assert.equal(row.patient_hash, linked.patientHash);
      assert.equal(row.pseudo_patient_id, linked.pseudoPatientId);
      assert.equal(row.direct_identifier_policy, 'clear_direct_identifiers');
      assert.ok(row.cleared_at);
      assert.deepEqual(Tombstone.parse(JSON.parse(row.tombstone ?? '{}')), tombstone);
      assert.deepEqual(await service.applyDirectIdentifierPolicy(id, { centerId: centerA, actor: 'x' }, 'clear_direct_identifiers'), tombstone, 'idempotent');
      await assert.rejects(service.ensurePseudoRecords(id, { centerId: centerA, actor: 'x' }), Conflict);
    });

    test('the retain policy records the decision and keeps the values', async () => {
      const id = await meta(centerA, { names_verified: true, dob_verified: true });
      const tombstone = await service.applyDirectIdentifierPolicy(id, { centerId: centerA, actor: 'x' }, 'retain_for_governance');
      assert.deepEqual(tombstone, { schema_version: '1.0', policy: 'retain_for_governance', status: 'retained', direct_values_retained: true });
      const row = await findSensitiveMeta(t.db, id, centerA);
      assert.equal(row?.patient_last_name, 'Müller-Lüdenscheidt');
      assert.equal(row?.cleared_at, null);
      assert.equal(row?.direct_identifier_policy, 'retain_for_governance');
    });
  });
}

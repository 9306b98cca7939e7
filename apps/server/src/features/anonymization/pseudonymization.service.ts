import { z } from 'zod';
import type { Secret } from '../../config/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { Conflict, Invalid, NotFound } from '../../shared/errors.js';
import type { AuditLedger } from '../audit/index.js';
import { parseGermanDate } from './identifiers/index.js';
import { avoidSet, examinationHash, guessGender, normalizeGender, patientHash, pseudoPatientProfile } from './pseudonymization.js';
import {
  clearIdentifierColumns,
  DIRECT_IDENTIFIER_COLUMNS,
  ensurePseudoExamination,
  ensurePseudoPatient,
  findSensitiveMeta,
  linkPseudoRecords,
  type SensitiveMetaRecord,
} from './pseudonymization.repository.js';

export const DIRECT_IDENTIFIER_POLICIES = ['retain_for_governance', 'clear_direct_identifiers'] as const;
export type DirectIdentifierPolicy = (typeof DIRECT_IDENTIFIER_POLICIES)[number];

/** The tombstone left in `sensitive_meta.tombstone` (the original's schema 1.0 shapes). */
export const Tombstone = z.discriminatedUnion('policy', [
  z.object({
    schema_version: z.literal('1.0'),
    policy: z.literal('clear_direct_identifiers'),
    cleared_at: z.iso.datetime(),
    cleared_fields_count: z.number().int().min(0),
    cleared_examiners: z.boolean(),
    pseudonym_hashes_retained: z.boolean(),
  }),
  z.object({
    schema_version: z.literal('1.0'),
    policy: z.literal('retain_for_governance'),
    status: z.literal('retained'),
    direct_values_retained: z.literal(true),
  }),
]);
export type Tombstone = z.output<typeof Tombstone>;

export interface Scope {
  readonly centerId: number;
  /** Username for the audit ledger. */
  readonly actor: string | null;
}

export interface PseudonymizationOutcome {
  readonly patientHash: string;
  readonly examinationHash: string | null;
  readonly pseudoPatientId: number;
  readonly pseudoExaminationId: number | null;
  readonly patientCreated: boolean;
  readonly examinationCreated: boolean;
}

/**
 * Pseudonymous records for a validated SensitiveMeta: patient and examination
 * hashes as the original computes them, a pseudo patient and a pseudo patient
 * examination created or reused by hash, and afterwards the clearing of direct
 * identifiers by policy. Every query is scoped to the caller's center.
 */
export class PseudonymizationService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLedger,
    private readonly salt: Secret,
  ) {}

  /**
   * Creates or reuses the pseudo patient (needs first name, last name and DOB)
   * and, when the examination date is known, the pseudo patient examination.
   * Missing data is not invented (a random DOB would give a new hash every run):
   * the record stays unlinked until validation supplies it.
   */
  async ensurePseudoRecords(sensitiveMetaId: number, scope: Scope): Promise<PseudonymizationOutcome> {
    const outcome = await this.db.transaction().execute(async (trx) => {
      const meta = await findSensitiveMeta(trx, sensitiveMetaId, scope.centerId);
      if (!meta) throw new NotFound('Sensible Metadaten nicht gefunden.');
      if (meta.cleared_at) throw new Conflict('Die direkten Identifikatoren wurden bereits gelöscht; die Pseudonymisierung ist abgeschlossen.');
      const identity = hashIdentityOf(meta);
      const salt = this.salt.reveal();
      const pHash = patientHash(identity, salt);
      const gender = meta.patient_gender ? normalizeGender(meta.patient_gender) : guessGender(identity.firstName);
      const profile = pseudoPatientProfile(pHash, gender, Number(identity.dob.slice(0, 4)), avoidSet([identity.firstName, identity.lastName, meta.examiner_first_name, meta.examiner_last_name]));
      const now = nowIso();
      const patient = await ensurePseudoPatient(trx, { centerId: scope.centerId, patientHash: pHash, ...profile, gender }, now);
      let examination: { id: number; created: boolean } | undefined;
      let eHash: string | null = null;
      if (identity.examinationDate) {
        eHash = examinationHash({ ...identity, examinationDate: identity.examinationDate }, salt);
        examination = await ensurePseudoExamination(trx, { centerId: scope.centerId, patientId: patient.id, examinationHash: eHash }, now);
      }
      await linkPseudoRecords(trx, meta.id, scope.centerId, { patientHash: pHash, examinationHash: eHash, pseudoPatientId: patient.id, pseudoExaminationId: examination?.id ?? null }, now);
      return {
        patientHash: pHash,
        examinationHash: eHash,
        pseudoPatientId: patient.id,
        pseudoExaminationId: examination?.id ?? null,
        patientCreated: patient.created,
        examinationCreated: examination?.created ?? false,
      };
    });
    await this.audit.append({
      action: 'anonymization.pseudonymized',
      objectType: 'sensitive_meta',
      objectPk: String(sensitiveMetaId),
      actor: scope.actor,
      centerId: scope.centerId,
      data: { pseudo_patient_id: outcome.pseudoPatientId, pseudo_examination_id: outcome.pseudoExaminationId, patient_created: outcome.patientCreated, examination_created: outcome.examinationCreated },
    });
    return outcome;
  }

  /**
   * Applies the direct-identifier policy after validation. `clear_direct_identifiers`
   * removes names, dates, case number, examiner, texts and serials, keeps the
   * hashes and pseudo links, and leaves a tombstone; `retain_for_governance`
   * only records that the values are kept. Clearing twice returns the first
   * tombstone unchanged.
   */
  async applyDirectIdentifierPolicy(sensitiveMetaId: number, scope: Scope, policy: DirectIdentifierPolicy): Promise<Tombstone> {
    const result = await this.db.transaction().execute(async (trx) => {
      const meta = await findSensitiveMeta(trx, sensitiveMetaId, scope.centerId);
      if (!meta) throw new NotFound('Sensible Metadaten nicht gefunden.');
      if (meta.cleared_at && meta.tombstone) return { tombstone: Tombstone.parse(JSON.parse(meta.tombstone)), changed: false };
      if (!meta.names_verified || !meta.dob_verified) {
        throw new Conflict('Die direkten Identifikatoren können erst nach der Validierung von Namen und Geburtsdatum gelöscht werden.');
      }
      const now = nowIso();
      let tombstone: Tombstone;
      if (policy === 'clear_direct_identifiers') {
        tombstone = {
          schema_version: '1.0',
          policy,
          cleared_at: now,
          cleared_fields_count: DIRECT_IDENTIFIER_COLUMNS.filter((c) => meta[c] !== null && meta[c] !== '').length,
          cleared_examiners: Boolean(meta.examiner_first_name || meta.examiner_last_name),
          pseudonym_hashes_retained: Boolean(meta.patient_hash || meta.examination_hash),
        };
      } else {
        tombstone = { schema_version: '1.0', policy, status: 'retained', direct_values_retained: true };
      }
      await clearIdentifierColumns(trx, meta.id, scope.centerId, { policy, tombstone: JSON.stringify(tombstone), clearedAt: policy === 'clear_direct_identifiers' ? now : null });
      return { tombstone, changed: true };
    });
    if (result.changed) {
      await this.audit.append({
        action: 'anonymization.direct_identifier_policy_applied',
        objectType: 'sensitive_meta',
        objectPk: String(sensitiveMetaId),
        actor: scope.actor,
        centerId: scope.centerId,
        data: { policy, cleared_fields_count: 'cleared_fields_count' in result.tombstone ? result.tombstone.cleared_fields_count : 0 },
      });
    }
    return result.tombstone;
  }
}

function hashIdentityOf(meta: SensitiveMetaRecord): { firstName: string; lastName: string; dob: string; centerName: string; examinationDate?: string } {
  const firstName = meta.patient_first_name?.trim();
  const lastName = meta.patient_last_name?.trim();
  const dob = meta.patient_dob ? parseGermanDate(meta.patient_dob) : undefined;
  const missing = [!firstName && 'Vorname', !lastName && 'Nachname', !dob && 'Geburtsdatum'].filter(Boolean);
  if (missing.length > 0 || !firstName || !lastName || !dob) {
    throw new Invalid(`Für die Pseudonymisierung fehlen: ${missing.join(', ')}.`, { missing_fields: missing });
  }
  const examinationDate = meta.examination_date ? parseGermanDate(meta.examination_date) : undefined;
  // Names are hashed as stored: the original does not normalise them either.
  return { firstName: meta.patient_first_name as string, lastName: meta.patient_last_name as string, dob, centerName: meta.center_name, ...(examinationDate ? { examinationDate } : {}) };
}

import type { ValidatePayload, ValidateResponse } from '@lx/contracts';
import { nowIso, type Db } from '../../../db/index.js';
import { Conflict, Invalid, NotFound } from '../../../shared/errors.js';
import type { AuditLedger } from '../../audit/index.js';
import type { Actor } from '../../auth/index.js';
import { setPdfState, updatePdfFile } from '../../media/index.js';
import { findSensitiveMeta } from '../pseudonymization.repository.js';
import type { DirectIdentifierPolicy, PseudonymizationService } from '../pseudonymization.service.js';
import { compareFields } from './field-metrics.js';
import { resolveMedia, type MediaType } from './media-resolver.js';
import { isoDateOf } from './sensitive-meta.service.js';
import { updateMeta } from './sensitive-meta.repository.js';
import { findPatientExamination, insertValidationMetric, linkVideoExamination, listDocumentTypes, markVideoValidated, sourceSystemOfUpload } from './workflow.repository.js';

/** 400 of `validate/` with the allowed document types (the original's shape). */
export class InvalidDocumentType extends Invalid {
  constructor(readonly allowed: readonly string[]) {
    super('Bitte einen gültigen Dokumenttyp wählen.');
  }
}

/** Fields whose before/after comparison is recorded per validation. */
const METRIC_FIELDS = ['patient_first_name', 'patient_last_name', 'patient_dob', 'patient_gender', 'casenumber', 'examination_date', 'external_id'] as const;

function noMoreNames(value: ValidatePayload['no_more_names_confirmed']): 'unknown' | 'confirmed' | 'not_confirmed' {
  if (value === true) return 'confirmed';
  if (value === false) return 'not_confirmed';
  return value ?? 'unknown';
}

/**
 * `anonymization/<id>/validate/` (W3): the person's approval updates
 * SensitiveMeta, marks names and date of birth verified, creates or reuses the
 * pseudonymous patient and examination, records the per-field metric and moves
 * the file to `validated`. Refused while the file is processing, not yet
 * anonymized, or blocked by the release gate.
 */
export class ValidationService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLedger,
    private readonly pseudonymization: PseudonymizationService,
    /** Applied once the file is validated (LX_ANNOTATE_DIRECT_IDENTIFIER_POLICY); both leave a tombstone. */
    private readonly directIdentifierPolicy: DirectIdentifierPolicy = 'retain_for_governance',
  ) {}

  async validate(actor: Actor, id: number, type: MediaType | undefined, payload: ValidatePayload): Promise<ValidateResponse> {
    const media = await resolveMedia(this.db, actor, id, type ?? payload.file_type);
    if (media.locked) throw new Conflict('Die Datei wird gerade verarbeitet; bitte später validieren.');
    const gateBlocked = media.type === 'pdf' ? media.pdf.gate_status === 'blocked' || media.pdf.processing_error : media.video.processing_error;
    if (gateBlocked) throw new Conflict('Die Freigabeprüfung ist fehlgeschlagen: die anonymisierte Datei enthält noch Identifikatoren. Bitte zuerst korrigieren und erneut verarbeiten.');
    const anonymized = media.type === 'pdf' ? media.pdf.anonymized : media.video.anonymized || media.video.sensitive_meta_processed;
    if (!anonymized && media.status !== 'validated') throw new Conflict('Die Datei ist noch nicht anonymisiert und kann nicht validiert werden.');

    let documentType: string | null = null;
    if (media.type === 'pdf') {
      const allowed = (await listDocumentTypes(this.db)).map((d) => d.name);
      documentType = payload.document_type ?? null;
      if (!documentType || !allowed.includes(documentType)) throw new InvalidDocumentType(allowed);
    }
    const dob = isoDateOf(payload.patient_dob, 'Geburtsdatum') as string;
    const examinationDate = isoDateOf(payload.examination_date, 'Untersuchungsdatum') ?? null;
    if (examinationDate && examinationDate < dob) throw new Invalid('Das Untersuchungsdatum liegt vor dem Geburtsdatum.');

    const before = media.sensitiveMetaId === null ? undefined : await findSensitiveMeta(this.db, media.sensitiveMetaId, media.centerId);
    if (!before) throw new NotFound('Zu dieser Datei gibt es keine sensiblen Metadaten.');
    if (before.cleared_at) throw new Conflict('Die direkten Identifikatoren wurden bereits gelöscht; die Datei ist abgeschlossen.');
    let explicitExamination: { id: number; patientId: number } | undefined;
    if (payload.patient_examination_id) {
      explicitExamination = await findPatientExamination(this.db, payload.patient_examination_id, media.centerId);
      if (!explicitExamination) throw new NotFound('Patientenuntersuchung nicht gefunden.');
    }

    const after = {
      patient_first_name: payload.patient_first_name,
      patient_last_name: payload.patient_last_name,
      patient_dob: dob,
      patient_gender: payload.patient_gender ?? before.patient_gender,
      casenumber: payload.casenumber === undefined ? before.casenumber : payload.casenumber || null,
      examination_date: payload.examination_date === undefined ? before.examination_date : examinationDate,
      external_id: payload.external_id === undefined ? before.external_id : payload.external_id || null,
    };
    const tags = [...new Set(payload.tags ?? [])];
    await this.db.transaction().execute(async (trx) => {
      const now = nowIso();
      await updateMeta(
        trx,
        before.id,
        media.centerId,
        {
          ...after,
          ...(payload.anonymized_text !== undefined ? { anonymized_text: payload.anonymized_text } : {}),
          ...(payload.validation_comment !== undefined ? { validation_comment: payload.validation_comment } : {}),
          validation_tags: JSON.stringify(tags),
          names_verified: true,
          dob_verified: true,
        },
        now,
      );
      if (media.type === 'pdf') {
        await updatePdfFile(trx, media.id, { document_type: documentType, ...(payload.anonymized_text !== undefined && payload.anonymized_text !== null ? { anonymized_text: payload.anonymized_text } : {}) }, now);
      }
    });

    const pseudo = await this.pseudonymization.ensurePseudoRecords(before.id, { centerId: media.centerId, actor: actor.username });
    const fieldMetrics = compareFields(METRIC_FIELDS, before as unknown as Record<string, string | null>, after);
    const examination = explicitExamination ?? (pseudo.pseudoExaminationId !== null ? { id: pseudo.pseudoExaminationId, patientId: pseudo.pseudoPatientId } : undefined);
    const metricId = await this.db.transaction().execute(async (trx) => {
      const now = nowIso();
      const id = await insertValidationMetric(
        trx,
        {
          centerId: media.centerId,
          mediaType: media.type,
          mediaId: media.id,
          sensitiveMetaId: before.id,
          documentType,
          sourceSystem: await sourceSystemOfUpload(trx, media.uploadJobId),
          noMoreNamesConfirmed: noMoreNames(payload.no_more_names_confirmed),
          validatedBy: actor.username,
          fields: fieldMetrics,
        },
        now,
      );
      if (media.type === 'pdf') {
        await setPdfState(trx, media.id, { anonymization_validated: true }, now);
        await updatePdfFile(trx, media.id, { patient_id: examination?.patientId ?? pseudo.pseudoPatientId, patient_examination_id: examination?.id ?? null }, now);
      } else {
        await markVideoValidated(trx, media.id, true, now);
        await linkVideoExamination(trx, media.id, { patientId: examination?.patientId ?? pseudo.pseudoPatientId, patientExaminationId: examination?.id ?? null }, now);
      }
      return id;
    });
    // After the metric (it compares the values the person saw) and the pseudonymous records (they hash them).
    await this.pseudonymization.applyDirectIdentifierPolicy(before.id, { centerId: media.centerId, actor: actor.username }, this.directIdentifierPolicy);
    await this.audit.append({
      action: 'anonymization.validated',
      objectType: media.type === 'pdf' ? 'pdf_file' : 'video_file',
      objectPk: String(media.id),
      actor: actor.username,
      centerId: media.centerId,
      data: { sensitive_meta_id: before.id, metric_id: metricId, fields_changed: fieldMetrics.filter((f) => f.changed).map((f) => f.field_name), document_type: documentType, tags_count: tags.length },
    });
    return {
      message: 'Anonymisierung wurde validiert.',
      file_id: media.id,
      file_type: media.type,
      anonymization_status: 'validated',
      sensitive_meta_id: before.id,
      pseudo_patient_id: pseudo.pseudoPatientId,
      pseudo_examination_id: pseudo.pseudoExaminationId,
      patient_examination_id: examination?.id ?? null,
      metric_id: metricId,
      field_metrics: fieldMetrics,
    };
  }
}

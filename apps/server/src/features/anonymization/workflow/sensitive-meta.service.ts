import type { CaseResolutionResponse, SensitiveMetaPatch, SensitiveMetaView } from '@lx/contracts';
import type { z } from 'zod';
import { nowIso, type Db } from '../../../db/index.js';
import { Conflict, Invalid, NotFound } from '../../../shared/errors.js';
import type { AuditLedger } from '../../audit/index.js';
import type { Actor } from '../../auth/index.js';
import { updatePdfFile } from '../../media/index.js';
import { parseGermanDate } from '../identifiers/index.js';
import { findSensitiveMeta, type SensitiveMetaRecord } from '../pseudonymization.repository.js';
import { resolveMedia, type MediaType, type ResolvedMedia } from './media-resolver.js';
import { updateMeta, type MetaValues } from './sensitive-meta.repository.js';
import { examinationsOfPatient, findPatientExamination, linkVideoExamination, readValidationTags } from './workflow.repository.js';

/** SensitiveMeta for the validation form and the sensitive-metadata routes. */
export async function sensitiveMetaView(db: Db, meta: SensitiveMetaRecord): Promise<SensitiveMetaView> {
  return {
    id: meta.id,
    center_id: meta.center_id,
    center_name: meta.center_name,
    patient_first_name: meta.patient_first_name,
    patient_last_name: meta.patient_last_name,
    patient_dob: meta.patient_dob,
    patient_gender: meta.patient_gender,
    examination_date: meta.examination_date,
    examination_time: meta.examination_time,
    casenumber: meta.casenumber,
    examiner_first_name: meta.examiner_first_name,
    examiner_last_name: meta.examiner_last_name,
    endoscope_type: meta.endoscope_type,
    endoscope_sn: meta.endoscope_sn,
    external_id: meta.external_id,
    anonymized_text: meta.anonymized_text,
    validation_comment: meta.validation_comment,
    tags: await readValidationTags(db, meta.id),
    patient_hash: meta.patient_hash,
    examination_hash: meta.examination_hash,
    pseudo_patient_id: meta.pseudo_patient_id,
    pseudo_examination_id: meta.pseudo_examination_id,
    dob_verified: meta.dob_verified,
    names_verified: meta.names_verified,
    is_verified: meta.dob_verified && meta.names_verified,
  };
}

/** A date as stored (YYYY-MM-DD) from DD.MM.YYYY or ISO input; `field` names it in the German error. */
export function isoDateOf(value: string | null | undefined, label: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (value.trim() === '') return null;
  const iso = parseGermanDate(value.trim());
  if (!iso) throw new Invalid(`${label} ist kein gültiges Datum (TT.MM.JJJJ).`);
  return iso;
}

type Patch = z.infer<typeof SensitiveMetaPatch>;

/**
 * `media/{videos|pdfs}/<pk>/sensitive-metadata/` and `…/verify/`, and the case
 * resolution (W5), scoped to the actor's centers.
 */
export class SensitiveMetaService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLedger,
  ) {}

  async #metaOf(actor: Actor, id: number, type: MediaType): Promise<{ media: ResolvedMedia; meta: SensitiveMetaRecord }> {
    const media = await resolveMedia(this.db, actor, id, type);
    const meta = media.sensitiveMetaId === null ? undefined : await findSensitiveMeta(this.db, media.sensitiveMetaId, media.centerId);
    if (!meta) throw new NotFound('Zu dieser Datei gibt es keine sensiblen Metadaten.');
    return { media, meta };
  }

  async get(actor: Actor, id: number, type: MediaType): Promise<SensitiveMetaView> {
    return sensitiveMetaView(this.db, (await this.#metaOf(actor, id, type)).meta);
  }

  async patch(actor: Actor, id: number, type: MediaType, patch: Patch): Promise<SensitiveMetaView> {
    const { media, meta } = await this.#metaOf(actor, id, type);
    if (meta.cleared_at) throw new Conflict('Die direkten Identifikatoren wurden bereits gelöscht.');
    const values: MetaValues = { ...patch, patient_dob: isoDateOf(patch.patient_dob, 'Geburtsdatum'), examination_date: isoDateOf(patch.examination_date, 'Untersuchungsdatum') };
    for (const key of Object.keys(values) as (keyof MetaValues)[]) if (values[key] === undefined) delete values[key];
    await updateMeta(this.db, meta.id, media.centerId, values, nowIso());
    await this.audit.append({ action: 'anonymization.sensitive_meta_updated', objectType: 'sensitive_meta', objectPk: String(meta.id), actor: actor.username, centerId: media.centerId, data: { media_type: type, media_id: id, fields: Object.keys(values).sort() } });
    return this.get(actor, id, type);
  }

  async verify(actor: Actor, id: number, type: MediaType, flags: { dob_verified?: boolean; names_verified?: boolean }): Promise<SensitiveMetaView> {
    const { media, meta } = await this.#metaOf(actor, id, type);
    const update = { dob_verified: flags.dob_verified ?? true, names_verified: flags.names_verified ?? true };
    await updateMeta(this.db, meta.id, media.centerId, update, nowIso());
    await this.audit.append({ action: 'anonymization.sensitive_meta_verified', objectType: 'sensitive_meta', objectPk: String(meta.id), actor: actor.username, centerId: media.centerId, data: { media_type: type, media_id: id, ...update } });
    return this.get(actor, id, type);
  }

  async caseResolution(actor: Actor, id: number, type: MediaType): Promise<z.infer<typeof CaseResolutionResponse>> {
    const media = await resolveMedia(this.db, actor, id, type);
    const meta = media.sensitiveMetaId === null ? undefined : await findSensitiveMeta(this.db, media.sensitiveMetaId, media.centerId);
    const linked = media.type === 'pdf' ? media.pdf.patient_examination_id : await this.#videoExamination(media.id);
    const patientId = meta?.pseudo_patient_id ?? null;
    return {
      media_id: media.id,
      media_type: media.type,
      status: linked !== null ? 'linked' : 'not_linked',
      sensitive_meta_id: media.sensitiveMetaId,
      pseudo_patient_id: patientId,
      patient_examination_id: linked,
      patient_hash: meta?.patient_hash ?? null,
      examination_hash: meta?.examination_hash ?? null,
      suggestions: patientId === null ? [] : await examinationsOfPatient(this.db, patientId, media.centerId),
    };
  }

  /** Links the file to an existing patient examination of its center, or creates one for the pseudo patient. */
  async resolveCase(actor: Actor, id: number, type: MediaType, body: { patient_examination_id: number } | { create: true; examination_id?: number | null | undefined }): Promise<z.infer<typeof CaseResolutionResponse>> {
    const media = await resolveMedia(this.db, actor, id, type);
    const now = nowIso();
    let examination: { id: number; patientId: number } | undefined;
    if ('patient_examination_id' in body) {
      examination = await findPatientExamination(this.db, body.patient_examination_id, media.centerId);
      if (!examination) throw new NotFound('Patientenuntersuchung nicht gefunden.');
    } else {
      const meta = media.sensitiveMetaId === null ? undefined : await findSensitiveMeta(this.db, media.sensitiveMetaId, media.centerId);
      if (!meta?.pseudo_patient_id) throw new Conflict('Es gibt noch keinen pseudonymisierten Patienten: bitte zuerst die Datei validieren.');
      const row = await this.db
        .insertInto('patient_examinations')
        .values({ patient_id: meta.pseudo_patient_id, center_id: media.centerId, examination_id: body.examination_id ?? null, hash: `manual:${media.type}:${media.id}:${Date.now()}`, is_pseudo: true, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      examination = { id: Number(row.id), patientId: meta.pseudo_patient_id };
    }
    if (media.type === 'pdf') await updatePdfFile(this.db, media.id, { patient_examination_id: examination.id, patient_id: examination.patientId }, now);
    else await linkVideoExamination(this.db, media.id, { patientId: examination.patientId, patientExaminationId: examination.id }, now);
    await this.audit.append({ action: 'anonymization.case_resolved', objectType: type === 'pdf' ? 'pdf_file' : 'video_file', objectPk: String(media.id), actor: actor.username, centerId: media.centerId, data: { patient_examination_id: examination.id, created: !('patient_examination_id' in body) } });
    return this.caseResolution(actor, id, type);
  }

  async #videoExamination(videoId: number): Promise<number | null> {
    const row = await this.db.selectFrom('video_files').select('patient_examination_id').where('id', '=', videoId).executeTakeFirst();
    return row?.patient_examination_id === null || row?.patient_examination_id === undefined ? null : Number(row.patient_examination_id);
  }
}

import type { BlockedReason } from '@lx/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { StorageService } from '../../adapters/storage/index.js';
import { dbBool, dbInt, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** A local video as the export sees it: pseudonymous fields only. */
export interface ExportCandidate {
  readonly resourceKind: 'video';
  readonly id: number;
  readonly centerId: number;
  readonly centerKey: string;
  readonly videoHash: string;
  readonly processedFile: string | null;
  readonly processedSha256: string | null;
  readonly anonymized: boolean;
  readonly validated: boolean;
  readonly processingError: boolean;
  readonly readyForExport: boolean;
  readonly gateBlocked: boolean;
  readonly fps: number | null;
  readonly durationSeconds: number | null;
  readonly frameCount: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly patientHash: string | null;
  readonly examinationHash: string | null;
  /** For the privacy summary only (never transferred): year, age band and gender. */
  readonly examYear: string | null;
  readonly patientDob: string | null;
  readonly patientGender: string | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Videos whose anonymization started, of the given centers (`all` for every center). */
export async function findVideoCandidates(db: Executor, centers: readonly number[] | 'all', ids?: readonly number[]): Promise<ExportCandidate[]> {
  if (centers !== 'all' && centers.length === 0) return [];
  let query = db
    .selectFrom('video_files as v')
    .innerJoin('video_states as s', 's.video_file_id', 'v.id')
    .innerJoin('centers as c', 'c.id', 'v.center_id')
    .leftJoin('sensitive_meta as m', 'm.id', 'v.sensitive_meta_id')
    .select([
      'v.id',
      'v.center_id',
      'c.center_key',
      'v.video_hash',
      'v.processed_file',
      'v.fps',
      'v.duration_seconds',
      'v.frame_count',
      'v.width',
      'v.height',
      's.anonymized',
      's.anonymization_validated',
      's.processing_error',
      's.ready_for_export',
      's.processed_file_sha256',
      'm.patient_hash',
      'm.examination_hash',
      'm.examination_date',
      'm.patient_dob',
      'm.patient_gender',
    ])
    .select((eb) =>
      eb
        .selectFrom('video_processing_history as h')
        .select('h.output')
        .whereRef('h.video_file_id', '=', 'v.id')
        .where('h.operation', '=', 'release_gate')
        .orderBy('h.id', 'desc')
        .limit(1)
        .as('gate_output'),
    )
    .where((eb) => eb.or([eb('s.anonymized', '=', true), eb('s.anonymization_validated', '=', true)]));
  if (centers !== 'all') query = query.where('v.center_id', 'in', [...centers]);
  if (ids) query = ids.length === 0 ? query.where('v.id', '=', -1) : query.where('v.id', 'in', [...ids]);
  const rows = await query.orderBy('v.id').limit(2000).execute();
  return rows.map((r) => {
    let gateBlocked: boolean;
    try {
      gateBlocked = r.gate_output ? (JSON.parse(String(r.gate_output)) as { status?: string }).status === 'blocked' : false;
    } catch {
      gateBlocked = true;
    }
    return {
      resourceKind: 'video' as const,
      id: dbInt.parse(r.id),
      centerId: dbInt.parse(r.center_id),
      centerKey: r.center_key,
      videoHash: r.video_hash,
      processedFile: r.processed_file,
      processedSha256: r.processed_file_sha256,
      anonymized: dbBool.parse(r.anonymized),
      validated: dbBool.parse(r.anonymization_validated),
      processingError: dbBool.parse(r.processing_error),
      readyForExport: dbBool.parse(r.ready_for_export),
      gateBlocked,
      fps: num(r.fps),
      durationSeconds: num(r.duration_seconds),
      frameCount: num(r.frame_count),
      width: num(r.width),
      height: num(r.height),
      patientHash: r.patient_hash,
      examinationHash: r.examination_hash,
      examYear: r.examination_date ? String(r.examination_date).slice(0, 4) : null,
      patientDob: r.patient_dob,
      patientGender: r.patient_gender,
    };
  });
}

/**
 * Why a video may not leave the site yet, or `null` when it may: only validated, anonymized media
 * whose recorded release gate did not block, with its processed file present and hashed.
 */
export async function blockedReason(candidate: ExportCandidate, storage: StorageService): Promise<BlockedReason | null> {
  if (!candidate.centerKey) return 'missing_center';
  if (!candidate.validated || !candidate.anonymized || candidate.processingError || candidate.gateBlocked || !candidate.processedSha256) return 'not_ready_for_export';
  if (!candidate.patientHash || !candidate.examinationHash) return 'not_ready_for_export';
  if (!candidate.processedFile) return 'missing_processed_file';
  try {
    if ((await storage.size(candidate.processedFile)) <= 0) return 'missing_processed_file';
  } catch {
    return 'missing_processed_file';
  }
  return null;
}

/** `<source_node_key>__<kind>__<raw hash>__processed_v1`: independent of database ids. */
export function transferKeyFor(sourceNodeKey: string, kind: 'video' | 'report', resourceHash: string): string {
  return `${sourceNodeKey}__${kind}__${resourceHash}__processed_v1`;
}

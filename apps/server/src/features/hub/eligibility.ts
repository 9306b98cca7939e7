import type { BlockedReason } from '@lx/contracts';
import type { Kysely, Transaction } from 'kysely';
import type { StorageService } from '../../adapters/storage/index.js';
import { dbBool, dbInt, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

export type ResourceKind = 'video' | 'report';

/** A local video or report PDF as the export sees it: pseudonymous fields only. */
export interface ExportCandidate {
  readonly resourceKind: ResourceKind;
  readonly id: number;
  readonly centerId: number;
  readonly centerKey: string;
  /** The raw file's hash (`video_hash` / `pdf_hash`): the resource's identity across nodes. */
  readonly resourceHash: string;
  readonly processedFile: string | null;
  readonly processedSha256: string | null;
  readonly anonymized: boolean;
  readonly validated: boolean;
  readonly processingError: boolean;
  readonly gateBlocked: boolean;
  /** Videos: the outside-segment cleanup (post-validation rebuild) status, if one was requested. */
  readonly segmentCleanup: string | null;
  readonly fps: number | null;
  readonly durationSeconds: number | null;
  readonly frameCount: number | null;
  readonly width: number | null;
  readonly height: number | null;
  /** Reports only: the validated anonymized text (the raw text never leaves the site). */
  readonly anonymizedText: string | null;
  readonly patientHash: string | null;
  readonly examinationHash: string | null;
  /** For the privacy summary only (never transferred): year, age band and gender. */
  readonly examYear: string | null;
  readonly patientDob: string | null;
  readonly patientGender: string | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function gateBlockedBy(output: unknown): boolean {
  try {
    return output ? (JSON.parse(String(output)) as { status?: string }).status === 'blocked' : false;
  } catch {
    return true;
  }
}

/** A resource as a ledger row or a request names it. */
export interface ResourceRef {
  readonly resourceKind: ResourceKind;
  readonly id: number;
}

/** One string per resource, for maps over both kinds. */
export const resourceKey = (r: ResourceRef): string => `${r.resourceKind}:${r.id}`;

/** The columns both kinds share: state flags and the pseudonymous meta (`s` state, `c` center, `m` meta). */
const SHARED_COLUMNS = ['c.center_key', 's.anonymized', 's.anonymization_validated', 's.processing_error', 's.processed_file_sha256', 'm.patient_hash', 'm.examination_hash', 'm.examination_date', 'm.patient_dob', 'm.patient_gender'] as const;

interface SharedRow {
  id: unknown;
  center_id: unknown;
  center_key: string;
  processed_file: string | null;
  processed_file_sha256: string | null;
  anonymized: unknown;
  anonymization_validated: unknown;
  processing_error: unknown;
  patient_hash: string | null;
  examination_hash: string | null;
  examination_date: string | null;
  patient_dob: string | null;
  patient_gender: string | null;
}

const NOT_A_VIDEO = { segmentCleanup: null, fps: null, durationSeconds: null, frameCount: null, width: null, height: null } as const;

function sharedFields(r: SharedRow) {
  return {
    id: dbInt.parse(r.id),
    centerId: dbInt.parse(r.center_id),
    centerKey: r.center_key,
    processedFile: r.processed_file,
    processedSha256: r.processed_file_sha256,
    anonymized: dbBool.parse(r.anonymized),
    validated: dbBool.parse(r.anonymization_validated),
    processingError: dbBool.parse(r.processing_error),
    patientHash: r.patient_hash,
    examinationHash: r.examination_hash,
    examYear: r.examination_date ? String(r.examination_date).slice(0, 4) : null,
    patientDob: r.patient_dob,
    patientGender: r.patient_gender,
  };
}

/** Candidates of one kind (`all` centers for workers; ids to narrow). */
function findCandidates(db: Executor, kind: ResourceKind, centers: readonly number[] | 'all', ids?: readonly number[]): Promise<ExportCandidate[]> {
  return kind === 'video' ? findVideoCandidates(db, centers, ids) : findReportCandidates(db, centers, ids);
}

/** The named resources of both kinds that are candidates within `centers`. */
export async function findCandidatesFor(db: Executor, centers: readonly number[] | 'all', refs: readonly ResourceRef[]): Promise<ExportCandidate[]> {
  const idsOf = (kind: ResourceKind): number[] => refs.filter((r) => r.resourceKind === kind).map((r) => r.id);
  const [videos, reports] = [idsOf('video'), idsOf('report')];
  return [...(videos.length > 0 ? await findVideoCandidates(db, centers, videos) : []), ...(reports.length > 0 ? await findReportCandidates(db, centers, reports) : [])];
}

/** Both kinds, videos first (the overview). */
export async function findAllCandidates(db: Executor, centers: readonly number[] | 'all'): Promise<ExportCandidate[]> {
  return [...(await findVideoCandidates(db, centers)), ...(await findReportCandidates(db, centers))];
}

/** The resource of a ledger row and why it may not leave now (`null`: it may); a vanished one counts as without its file. */
export async function eligibilityOf(
  db: Executor,
  row: { readonly resourceKind: ResourceKind; readonly resourceId: number },
  storage: StorageService,
): Promise<{ candidate: ExportCandidate | undefined; reason: BlockedReason | null }> {
  const [candidate] = await findCandidates(db, row.resourceKind, 'all', [row.resourceId]);
  return { candidate, reason: candidate ? await blockedReason(candidate, storage) : 'missing_processed_file' };
}

/** Videos whose anonymization started, of the given centers (`all` for every center). */
async function findVideoCandidates(db: Executor, centers: readonly number[] | 'all', ids?: readonly number[]): Promise<ExportCandidate[]> {
  if (centers !== 'all' && centers.length === 0) return [];
  let query = db
    .selectFrom('video_files as v')
    .innerJoin('video_states as s', 's.video_file_id', 'v.id')
    .innerJoin('centers as c', 'c.id', 'v.center_id')
    .leftJoin('sensitive_meta as m', 'm.id', 'v.sensitive_meta_id')
    .leftJoin('video_segment_status as seg', 'seg.video_file_id', 'v.id')
    .select([...SHARED_COLUMNS, 'v.id', 'v.center_id', 'v.video_hash', 'v.processed_file', 'v.fps', 'v.duration_seconds', 'v.frame_count', 'v.width', 'v.height', 'seg.status as segment_cleanup'])
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
  return rows.map((r) => ({
    ...sharedFields(r),
    resourceKind: 'video' as const,
    resourceHash: r.video_hash,
    gateBlocked: gateBlockedBy(r.gate_output),
    segmentCleanup: r.segment_cleanup ?? null,
    fps: num(r.fps),
    durationSeconds: num(r.duration_seconds),
    frameCount: num(r.frame_count),
    width: num(r.width),
    height: num(r.height),
    anonymizedText: null,
  }));
}

/** Report PDFs whose anonymization finished (anonymized or validated), of the given centers. */
async function findReportCandidates(db: Executor, centers: readonly number[] | 'all', ids?: readonly number[]): Promise<ExportCandidate[]> {
  if (centers !== 'all' && centers.length === 0) return [];
  let query = db
    .selectFrom('pdf_files as p')
    .innerJoin('pdf_states as s', 's.pdf_file_id', 'p.id')
    .innerJoin('centers as c', 'c.id', 'p.center_id')
    .leftJoin('sensitive_meta as m', 'm.id', 'p.sensitive_meta_id')
    .select([...SHARED_COLUMNS, 'p.id', 'p.center_id', 'p.pdf_hash', 'p.processed_file', 'p.anonymized_text', 'p.gate_status'])
    .where((eb) => eb.or([eb('s.anonymized', '=', true), eb('s.anonymization_validated', '=', true)]));
  if (centers !== 'all') query = query.where('p.center_id', 'in', [...centers]);
  if (ids) query = ids.length === 0 ? query.where('p.id', '=', -1) : query.where('p.id', 'in', [...ids]);
  const rows = await query.orderBy('p.id').limit(2000).execute();
  return rows.map((r) => ({
    ...sharedFields(r),
    ...NOT_A_VIDEO,
    resourceKind: 'report' as const,
    resourceHash: r.pdf_hash,
    gateBlocked: r.gate_status === 'blocked',
    anonymizedText: r.anonymized_text,
  }));
}

/**
 * Why a resource may not leave the site yet, or `null` when it may: only validated, anonymized
 * media whose release gate did not block, with its processed file present and hashed (and, for a
 * report, a non-blank anonymized text: the hub refuses a report without one).
 */
export async function blockedReason(candidate: ExportCandidate, storage: StorageService): Promise<BlockedReason | null> {
  if (!candidate.centerKey) return 'missing_center';
  if (!candidate.validated || !candidate.anonymized || candidate.processingError || candidate.gateBlocked || !candidate.processedSha256) return 'not_ready_for_export';
  if (!candidate.patientHash || !candidate.examinationHash) return 'not_ready_for_export';
  // Frames inside validated `outside` segments are blackened after validation: not before that is done.
  if (candidate.segmentCleanup === 'cleanup_queued' || candidate.segmentCleanup === 'cleanup_running') return 'segment_cleanup_pending';
  if (candidate.segmentCleanup === 'cleanup_failed') return 'segment_cleanup_failed';
  if (candidate.resourceKind === 'report' && !candidate.anonymizedText?.trim()) return 'not_ready_for_export';
  if (!candidate.processedFile) return 'missing_processed_file';
  try {
    if ((await storage.size(candidate.processedFile)) <= 0) return 'missing_processed_file';
  } catch {
    return 'missing_processed_file';
  }
  return null;
}

/** `<source_node_key>__<kind>__<raw hash>__processed_v1`: independent of database ids. */
export function transferKeyFor(sourceNodeKey: string, kind: ResourceKind, resourceHash: string): string {
  return `${sourceNodeKey}__${kind}__${resourceHash}__processed_v1`;
}

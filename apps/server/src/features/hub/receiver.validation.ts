import { HubTransferCreate, RAW_MEDIA_MODES, type HubTransferCreate as CreatePayload } from '@lx/contracts';
import type { Db } from '../../db/index.js';
import { findNodeByKey, listActiveNodesByRole, type NetworkNode } from './nodes.repository.js';
import { findCenterIdByKey } from './receiver.repository.js';

/** Serializer-style field errors, answered with 400 as the original does. */
export type FieldErrors = Record<string, string[]>;

export interface ValidCreate {
  readonly payload: CreatePayload;
  readonly sourceNode: NetworkNode;
  readonly targetNode: NetworkNode;
  readonly sourceCenterId: number;
  readonly sourceCenterKey: string;
}

/**
 * The create payload rules (reference-contracts §4.3) plus schema 3.0: the shape, the accepted
 * schema versions, no raw media, source node and center, hash consistency, a validated state,
 * pseudonymous sensitive meta only and never raw PDF text.
 */
export async function validateCreate(db: Db, body: unknown, options: { requireEnvelope: boolean }): Promise<{ ok: true; value: ValidCreate } | { ok: false; errors: FieldErrors }> {
  const errors: FieldErrors = {};
  const add = (field: string, message: string): void => void (errors[field] ??= []).push(message);
  const raw = body as Record<string, any> | null;
  if (raw && typeof raw === 'object' && raw.resource_rows?.raw_pdf_file && 'text' in raw.resource_rows.raw_pdf_file) {
    add('resource_rows', 'raw_pdf_file.text is not allowed in hub transfers');
    return { ok: false, errors };
  }
  if (raw && typeof raw === 'object' && raw.resource_rows?.sensitive_meta && typeof raw.resource_rows.sensitive_meta === 'object') {
    const extra = Object.keys(raw.resource_rows.sensitive_meta).filter((k) => k !== 'patient_hash' && k !== 'examination_hash');
    if (extra.length > 0) add('resource_rows', `sensitive_meta may only contain patient_hash and examination_hash (got ${extra.join(', ')})`);
  }
  const parsed = HubTransferCreate.safeParse(body);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) add(String(issue.path[0] ?? 'non_field_errors'), issue.path.length > 1 ? `${issue.path.slice(1).join('.')}: ${issue.message}` : issue.message);
    return { ok: false, errors };
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const p = parsed.data;
  const accepted = options.requireEnvelope ? ['3.0'] : ['2.0', '3.0'];
  if (!accepted.includes(p.payload_schema_version)) add('payload_schema_version', `Unsupported payload_schema_version "${p.payload_schema_version}"; accepted: ${accepted.join(', ')}`);
  if ((RAW_MEDIA_MODES as readonly string[]).includes(p.transfer_mode)) add('transfer_mode', 'Raw media transfer modes are not accepted by this hub');
  const rows = p.resource_rows;
  const state = p.resource_kind === 'video' ? rows.video_state : rows.raw_pdf_state;
  if (p.resource_kind === 'video') {
    if (!rows.video_file) add('resource_rows', 'video_file is required for video transfers');
    else if (rows.video_file.video_hash !== p.resource_hash) add('resource_hash', 'resource_hash must equal resource_rows.video_file.video_hash');
    if (p.transfer_mode === 'metadata_and_processed_media' && rows.video_file && state && state.processed_file_sha256 !== rows.video_file.processed_video_hash) {
      add('resource_rows', 'video_state.processed_file_sha256 must equal video_file.processed_video_hash');
    }
  } else {
    if (!rows.raw_pdf_file) add('resource_rows', 'raw_pdf_file is required for report transfers');
    else if (rows.raw_pdf_file.pdf_hash !== p.resource_hash) add('resource_hash', 'resource_hash must equal resource_rows.raw_pdf_file.pdf_hash');
  }
  if (!state) add('resource_rows', `${p.resource_kind === 'video' ? 'video_state' : 'raw_pdf_state'} is required`);
  else if (!state.anonymization_validated || state.processing_error) add('resource_rows', 'the resource state must imply anonymization status VALIDATED');

  const sourceNode = await findNodeByKey(db, p.source_node_key);
  if (!sourceNode || !sourceNode.isActive) add('source_node_key', 'Unknown or inactive source node');
  const targetNode = p.target_node_key ? await findNodeByKey(db, p.target_node_key) : (await listActiveNodesByRole(db, 'central_hub'))[0];
  if (!targetNode || !targetNode.isActive || targetNode.role !== 'central_hub') add('target_node_key', 'Unknown or inactive target hub node');
  let sourceCenterId: number | undefined;
  const sourceCenterKey = p.source_center_key ?? sourceNode?.owningCenterKey ?? undefined;
  if (sourceNode && sourceNode.isActive) {
    if (sourceNode.owningCenterId === null) add('source_node_key', 'Source node has no owning center');
    else if (sourceCenterKey === undefined || (sourceCenterId = await findCenterIdByKey(db, sourceCenterKey)) === undefined) add('source_center_key', 'Unknown source center');
    else if (sourceCenterId !== sourceNode.owningCenterId) add('source_center_key', "source_center_key must equal the source node's owning center");
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { payload: p, sourceNode: sourceNode as NetworkNode, targetNode: targetNode as NetworkNode, sourceCenterId: sourceCenterId as number, sourceCenterKey: sourceCenterKey as string } };
}

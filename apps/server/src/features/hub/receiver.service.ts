import { randomUUID } from 'node:crypto';
import type { HubEnvelopeKey, HubTransferStatus } from '@lx/contracts';
import { ENVELOPE_ALGORITHM, type RecipientKeyring } from '../../adapters/hub-client/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import type { Logger } from '../../log/logger.js';
import type { AuditLedger } from '../audit/index.js';
import { allowedCenterIds, type Actor } from '../auth/index.js';
import { applyReportMetadata, applyVideoMetadata } from './metadata-apply.js';
import { findNodeByKey, type NetworkNode } from './nodes.repository.js';
import { fingerprint, type NodesService } from './nodes.service.js';
import { receiveTransferMedia } from './receiver-media.js';
import { findTransferByKey, insertTransfer, type TransferJob } from './receiver.repository.js';
import { validateCreate } from './receiver.validation.js';

/** What the route needs to know about one transfer request. */
export interface TransferRequest {
  /** HTTPS as seen through the trusted proxy (X-Forwarded-Proto). */
  readonly secure: boolean;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly actor: Actor | undefined;
  readonly route: 'create' | 'status' | 'media' | 'envelope-key';
}

export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export const MESSAGES = {
  notFound: 'Not found.',
  insecure: 'Hub transfer requires HTTPS or equivalent secure transport',
  mtls: 'Hub transfer requires proxy-verified mutual TLS client authentication',
  credentials: 'Invalid network node credentials for this transfer',
  centerScope: 'You do not have access to this center.',
  keyMismatch: 'transfer_key already exists for a different transfer payload',
  tooLarge: 'Uploaded media exceeds ENDOREG_HUB_TRANSFER_MAX_UPLOAD_BYTES',
} as const;

const header = (req: TransferRequest, name: string): string => {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
};

/** `HTTP_X_CLIENT_CERT_VERIFIED` (Django META form) → `x-client-cert-verified`. */
export function metaKeyToHeader(metaKey: string): string {
  return metaKey.replace(/^HTTP_/, '').toLowerCase().replace(/_/g, '-');
}

export interface ReceiverDeps {
  readonly db: Db;
  readonly audit: AuditLedger;
  readonly nodes: NodesService;
  readonly storage: LazyStorage;
  readonly settings: Pick<Settings, 'role' | 'hub'>;
  readonly recipientKeys: () => RecipientKeyring | undefined;
  readonly logger: Logger;
}

/** The central hub's transfer receiver: checks in the original's order, then metadata or media. */
export class HubReceiverService {
  constructor(private readonly deps: ReceiverDeps) {}

  get enabled(): boolean {
    return this.deps.settings.role === 'central_hub' && this.deps.settings.hub.enableTransfers;
  }

  async #refuse(req: TransferRequest, status: number, body: unknown, reason: string, data: Record<string, unknown> = {}): Promise<Reply> {
    await this.deps.audit.append({
      action: reason.startsWith('node_auth:') ? 'hub.transfer_node_auth_failed' : 'hub.transfer_refused',
      objectType: 'hub_transfer',
      objectPk: typeof data.transfer_key === 'string' ? data.transfer_key.slice(0, 255) : '',
      actor: req.actor?.username ?? null,
      data: { route: req.route, status, reason: reason.replace(/^node_auth:/, ''), ...data },
    });
    return { status, body };
  }

  /** Steps 3–6: secure transport, mTLS attestation, node credentials, center scope. */
  async #guard(req: TransferRequest, expected: NetworkNode | undefined, centerId: number | null, transferKey: string | undefined): Promise<Reply | undefined> {
    const { hub } = this.deps.settings;
    const ctx = transferKey === undefined ? {} : { transfer_key: transferKey };
    if (hub.requireSecureTransport && !req.secure) return this.#refuse(req, 403, { detail: MESSAGES.insecure }, 'insecure_transport', ctx);
    if (hub.requireMtls && header(req, metaKeyToHeader(hub.mtlsMetaKey)) !== hub.mtlsMetaValue) return this.#refuse(req, 403, { detail: MESSAGES.mtls }, 'mtls_not_verified', ctx);
    const presentedKey = header(req, 'x-network-node-key');
    const failure = await this.deps.nodes.authenticate(expected, presentedKey, header(req, 'x-network-node-secret'));
    if (failure) return this.#refuse(req, 403, { detail: MESSAGES.credentials }, `node_auth:${failure}`, { ...ctx, provided_node_key_hash: fingerprint(presentedKey) });
    if (req.actor && centerId !== null) {
      const scope = allowedCenterIds(req.actor);
      if (scope !== 'all' && !scope.includes(centerId)) return this.#refuse(req, 403, { detail: MESSAGES.centerScope }, 'center_scope', ctx);
    }
    return undefined;
  }

  async create(req: TransferRequest, body: unknown): Promise<Reply> {
    if (!this.enabled) return { status: 404, body: { detail: MESSAGES.notFound } };
    const validated = await validateCreate(this.deps.db, body, { requireEnvelope: this.deps.settings.hub.requireEnvelope });
    const key = typeof (body as { transfer_key?: unknown } | null)?.transfer_key === 'string' ? (body as { transfer_key: string }).transfer_key : undefined;
    if (!validated.ok) return this.#refuse(req, 400, validated.errors, 'invalid_payload', { transfer_key: key, fields: Object.keys(validated.errors) });
    const v = validated.value;
    const refused = await this.#guard(req, v.sourceNode, v.sourceCenterId, v.payload.transfer_key);
    if (refused) return refused;
    const existing = await findTransferByKey(this.deps.db, v.payload.transfer_key);
    if (existing) return this.#replayed(req, existing, v.sourceNode.id, v.targetNode.id, v.payload.resource_kind, v.payload.resource_hash);
    const p = v.payload;
    const id = randomUUID();
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        const applied = p.resource_kind === 'video' ? await applyVideoMetadata(trx, v.sourceCenterId, p.resource_rows) : await applyReportMetadata(trx, v.sourceCenterId, p.resource_rows);
        const wantsMedia = p.transfer_mode === 'metadata_and_processed_media';
        const [status, decision, detail] = applied.centerConflict
          ? ['inconsistent', 'mark_inconsistent', 'resource already exists under another center']
          : !wantsMedia
            ? ['applied', 'skip_processing_preserved_state', 'metadata applied']
            : applied.mediaPresent
              ? ['applied', 'skip_processing_existing_success', 'processed media already present on the hub']
              : ['awaiting_media', 'wait_for_missing_media', 'waiting for the processed media upload'];
        await insertTransfer(trx, {
          id,
          transfer_key: p.transfer_key,
          source_node_id: v.sourceNode.id,
          target_node_id: v.targetNode.id,
          source_center_id: v.sourceCenterId,
          resource_kind: p.resource_kind,
          resource_hash: p.resource_hash,
          transfer_mode: p.transfer_mode,
          processing_policy: p.processing_policy,
          processing_intent: p.processing_intent,
          processing_decision: decision,
          cleanup_policy: p.cleanup_policy,
          cleanup_status: p.cleanup_policy === 'retain_all' ? 'not_requested' : 'pending',
          payload_schema_version: p.payload_schema_version,
          transfer_status: status,
          status_detail: detail,
          resource_rows: JSON.stringify(p.resource_rows),
          processing_snapshot: JSON.stringify(p.processing_snapshot),
          provenance: JSON.stringify({ ...p.provenance, entrypoint: 'hub_transfer_api', source_node_key: v.sourceNode.nodeKey, target_node_key: v.targetNode.nodeKey, source_center_key: v.sourceCenterKey, transfer_mode: p.transfer_mode, processing_policy: p.processing_policy, cleanup_policy: p.cleanup_policy, case_resolution: applied.caseResolution, media_uploads: [] }),
          target_object_id: applied.targetObjectId,
          linked_patient_id: applied.linkedPatientId,
          linked_patient_examination_id: applied.linkedPatientExaminationId,
          case_resolution_status: applied.caseResolution,
          stored_media_path: null,
          envelope_sha256: null,
          envelope_receipt: null,
        });
      });
    } catch (error) {
      // A concurrent create with the same key won the unique constraint: answer like a replay.
      const raced = await findTransferByKey(this.deps.db, p.transfer_key);
      if (!raced) throw error;
      return this.#replayed(req, raced, v.sourceNode.id, v.targetNode.id, p.resource_kind, p.resource_hash);
    }
    const created = (await findTransferByKey(this.deps.db, p.transfer_key)) as TransferJob;
    await this.deps.audit.append({ action: 'hub.transfer_created', objectType: 'hub_transfer', objectPk: created.id, actor: req.actor?.username ?? null, centerId: created.sourceCenterId, data: { transfer_key: created.transferKey, status: created.transferStatus, schema: created.payloadSchemaVersion, source_node_key: created.sourceNodeKey } });
    return { status: 201, body: statusBody(created) };
  }

  async #replayed(req: TransferRequest, existing: TransferJob, sourceId: number, targetId: number, kind: string, hash: string): Promise<Reply> {
    if (existing.sourceNodeId !== sourceId || existing.targetNodeId !== targetId || existing.resourceKind !== kind || existing.resourceHash !== hash) {
      return this.#refuse(req, 409, { error: MESSAGES.keyMismatch }, 'transfer_key_mismatch', { transfer_key: existing.transferKey });
    }
    return { status: 200, body: statusBody(existing) };
  }

  async #lookup(req: TransferRequest, transferKey: string): Promise<{ transfer: TransferJob } | { reply: Reply }> {
    if (!this.enabled) return { reply: { status: 404, body: { detail: MESSAGES.notFound } } };
    const transfer = await findTransferByKey(this.deps.db, transferKey);
    if (!transfer) return { reply: await this.#refuse(req, 404, { detail: MESSAGES.notFound }, 'unknown_transfer', { transfer_key: transferKey }) };
    const source = await findNodeByKey(this.deps.db, transfer.sourceNodeKey);
    const refused = await this.#guard(req, source, transfer.sourceCenterId, transferKey);
    return refused ? { reply: refused } : { transfer };
  }

  async status(req: TransferRequest, transferKey: string): Promise<Reply> {
    const found = await this.#lookup(req, transferKey);
    return 'reply' in found ? found.reply : { status: 200, body: statusBody(found.transfer) };
  }

  /** Checks for a media upload before its body is read; `receive` then streams it. */
  async beginUpload(req: TransferRequest, transferKey: string): Promise<{ transfer: TransferJob } | { reply: Reply }> {
    return this.#lookup(req, transferKey);
  }

  /** The multipart limit stopped the upload: 413, audited; nothing was stored (staging is atomic). */
  async refuseTooLarge(req: TransferRequest, transfer: TransferJob, maxUploadBytes: number): Promise<Reply> {
    return this.#refuse(req, 413, { detail: MESSAGES.tooLarge }, 'upload_too_large', { transfer_key: transfer.transferKey, max_upload_bytes: maxUploadBytes });
  }

  async receive(req: TransferRequest, transfer: TransferJob, mediaRole: string, file: AsyncIterable<Uint8Array>, fileName: string): Promise<Reply> {
    if (mediaRole !== 'processed') return this.#refuse(req, 400, { detail: 'Only processed media uploads are accepted' }, 'media_role', { transfer_key: transfer.transferKey });
    if (transfer.transferMode !== 'metadata_and_processed_media') return this.#refuse(req, 400, { detail: 'This transfer does not carry media' }, 'no_media_mode', { transfer_key: transfer.transferKey });
    const storage = await this.deps.storage.service();
    const outcome = await receiveTransferMedia({ db: this.deps.db, storage, keyring: this.deps.recipientKeys(), requireEnvelope: this.deps.settings.hub.requireEnvelope }, transfer, file, fileName);
    if (outcome.kind === 'refused') return this.#refuse(req, outcome.status, outcome.body, outcome.reason, { transfer_key: transfer.transferKey });
    const current = (await findTransferByKey(this.deps.db, transfer.transferKey)) as TransferJob;
    if (outcome.kind === 'stored') {
      await this.deps.audit.append({ action: 'hub.transfer_media_applied', objectType: 'hub_transfer', objectPk: current.id, actor: req.actor?.username ?? null, centerId: current.sourceCenterId, data: { transfer_key: current.transferKey, content_hash: outcome.sha256, envelope: outcome.receipt !== null } });
    }
    return { status: 200, body: statusBody(current) };
  }

  /** The active recipient key, published to authenticated sender nodes (schema 3.0). */
  async envelopeKey(req: TransferRequest): Promise<Reply> {
    const keyring = this.enabled ? this.deps.recipientKeys() : undefined;
    if (!keyring) return { status: 404, body: { detail: MESSAGES.notFound } };
    const node = await findNodeByKey(this.deps.db, header(req, 'x-network-node-key'));
    const refused = await this.#guard(req, node?.role === 'site_node' ? node : undefined, node?.owningCenterId ?? null, undefined);
    if (refused) return refused;
    const hub = (await this.deps.db.selectFrom('network_nodes').select('node_key').where('role', '=', 'central_hub').where('is_active', '=', true).orderBy('id').executeTakeFirst())?.node_key ?? '';
    const body: HubEnvelopeKey = { algorithm: ENVELOPE_ALGORITHM, key_id: keyring.active.keyId, public_key: keyring.active.publicKey, target_node_key: hub };
    return { status: 200, body };
  }
}

export function statusBody(t: TransferJob): HubTransferStatus {
  return {
    id: t.id,
    transfer_key: t.transferKey,
    source_node_key: t.sourceNodeKey,
    target_node_key: t.targetNodeKey,
    source_center_key: t.sourceCenterKey,
    resource_kind: t.resourceKind,
    resource_hash: t.resourceHash,
    transfer_mode: t.transferMode,
    transfer_status: t.transferStatus as HubTransferStatus['transfer_status'],
    processing_policy: t.processingPolicy,
    processing_intent: t.processingIntent,
    processing_decision: t.processingDecision,
    cleanup_policy: t.cleanupPolicy,
    cleanup_status: t.cleanupStatus,
    payload_schema_version: t.payloadSchemaVersion,
    status_detail: t.statusDetail,
    target_object_id: t.targetObjectId,
    linked_patient_id: t.linkedPatientId,
    linked_patient_examination_id: t.linkedPatientExaminationId,
    case_resolution_status: t.caseResolutionStatus as HubTransferStatus['case_resolution_status'],
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    envelope_receipt: (t.envelopeReceipt as HubTransferStatus['envelope_receipt']) ?? null,
  };
}

import { extname } from 'node:path';
import { HubEnvelopeKey, HubTransferStatus, type HubTransferCreate, type LocalStatus } from '@lx/contracts';
import { HubNetworkError, hubRequest, hubUrl, multipartUpload, sealEnvelope, type HubResponse } from '../../adapters/hub-client/index.js';
import type { LazyStorage, StorageService } from '../../adapters/storage/index.js';
import type { Settings } from '../../config/index.js';
import { nowIso, type Db } from '../../db/index.js';
import type { Logger } from '../../log/logger.js';
import { eligibilityOf, type ExportCandidate } from './eligibility.js';
import { findOutbound, transitionOutbound, type OutboundJob } from './outbound.repository.js';
import { senderConfig, SenderConfigError, type SenderConfig } from './sender.config.js';

export const REGISTRATION_FAILED = 'Hub transfer registration failed:';
export const UPLOAD_FAILED = 'Hub transfer media upload failed:';
export const RECONCILIATION_FAILED = 'Hub transfer reconciliation failed for stale in-flight job:';
export const RETRYABLE_PREFIXES = [REGISTRATION_FAILED, UPLOAD_FAILED, RECONCILIATION_FAILED] as const;
const IN_FLIGHT: readonly LocalStatus[] = ['registering', 'awaiting_media', 'uploading'];

/** A failure that retrying cannot cure (refused payload, inconsistent hub state, configuration). */
export class PermanentTransferError extends Error {}

const detailOf = (r: HubResponse): string => {
  const b = r.body as Record<string, unknown>;
  return `${r.status} ${typeof b?.detail === 'string' ? b.detail : typeof b?.error === 'string' ? b.error : JSON.stringify(b).slice(0, 300)}`;
};

/** JSON audit lines of the export (`lx_annotate.hub_export.audit`): ids and keys only. */
export function auditLine(logger: Logger, event: string, job: Pick<OutboundJob, 'id' | 'transferKey' | 'resourceKind' | 'resourceId'>, extra: Record<string, unknown> = {}): void {
  logger.info({ audit: 'lx_annotate.hub_export.audit', event: `hub_export.${event}`, job_id: job.id, transfer_key: job.transferKey, resource_kind: job.resourceKind, resource_id: job.resourceId, ...extra }, `hub_export.${event}`);
}

export interface SenderDeps {
  readonly db: Db;
  readonly storage: LazyStorage;
  readonly settings: Pick<Settings, 'hubExport'>;
  readonly logger: Logger;
}

/** Sends one ledger row to its hub: register (or look up), then upload, then record the outcome. */
export class HubSender {
  constructor(private readonly deps: SenderDeps) {}

  async run(jobId: string): Promise<LocalStatus | 'noop'> {
    const { db, logger } = this.deps;
    const job = await findOutbound(db, jobId);
    if (!job || job.localStatus === 'completed' || job.localStatus === 'marked') return 'noop';
    let config: SenderConfig;
    try {
      config = await senderConfig(db, this.deps.settings.hubExport, job.targetNodeId);
    } catch (error) {
      if (error instanceof SenderConfigError) await this.#fail(job, `${REGISTRATION_FAILED} ${error.message}`, false);
      throw error instanceof SenderConfigError ? new PermanentTransferError(error.message) : error;
    }
    const storage = await this.deps.storage.service();
    const { candidate, reason: blocked } = await eligibilityOf(db, job, storage);
    if (blocked || !candidate) {
      await this.#fail(job, blocked ?? 'missing_processed_file', false);
      auditLine(logger, 'ineligible_state_detected', job, { reason: blocked });
      throw new PermanentTransferError(`job ${job.id}: resource not eligible (${blocked})`);
    }
    const started = await transitionOutbound(db, job.id, ['queued', 'failed', ...IN_FLIGHT], { local_status: 'registering', registration_started_at: nowIso(), last_attempt_at: nowIso() });
    if (!started) return 'noop';
    auditLine(logger, 'register_started', job);
    let remote: HubTransferStatus;
    let envelopeKey: HubEnvelopeKey | undefined;
    try {
      envelopeKey = await this.#envelopeKey(config);
      remote = await this.#register(config, job, candidate, envelopeKey ? '3.0' : '2.0');
    } catch (error) {
      return this.#networkOrPermanent(job, REGISTRATION_FAILED, error);
    }
    await transitionOutbound(db, job.id, ['registering'], { remote_transfer_id: remote.id, remote_transfer_status: remote.transfer_status, remote_processing_decision: remote.processing_decision, payload_schema_version: remote.payload_schema_version });
    auditLine(logger, 'registered', job, { remote_status: remote.transfer_status });
    if (remote.transfer_status !== 'awaiting_media') return this.applyRemote(job, remote, ['registering']);
    await transitionOutbound(db, job.id, ['registering'], { local_status: 'uploading', media_upload_started_at: nowIso(), last_attempt_at: nowIso() });
    auditLine(logger, 'upload_started', job, { schema: remote.payload_schema_version });
    try {
      remote = await this.#upload(config, storage, job, candidate, remote.payload_schema_version === '3.0' ? envelopeKey : undefined);
    } catch (error) {
      return this.#networkOrPermanent(job, UPLOAD_FAILED, error);
    }
    return this.applyRemote(job, remote, ['uploading']);
  }

  /** Maps the hub's status onto the ledger: applied → completed (+ cleanup policy), failed/inconsistent → failed. */
  async applyRemote(job: OutboundJob, remote: HubTransferStatus, from: readonly LocalStatus[]): Promise<LocalStatus> {
    const { db, logger } = this.deps;
    const base = { remote_transfer_id: remote.id, remote_transfer_status: remote.transfer_status, remote_processing_decision: remote.processing_decision, envelope_receipt: remote.envelope_receipt ? JSON.stringify(remote.envelope_receipt) : null };
    if (remote.transfer_status === 'applied') {
      const eligible = job.localCleanupPolicy === 'eligible_after_verified_apply';
      await transitionOutbound(db, job.id, from, { ...base, local_status: 'completed', completed_at: nowIso(), last_error: '', local_cleanup_status: eligible ? 'eligible' : 'retained', local_cleanup_eligible_at: eligible ? nowIso() : null });
      auditLine(logger, 'completed', job);
      auditLine(logger, 'local_cleanup_policy_applied', job, { policy: job.localCleanupPolicy });
      return 'completed';
    }
    if (remote.transfer_status === 'failed' || remote.transfer_status === 'inconsistent') {
      await transitionOutbound(db, job.id, from, { ...base, local_status: 'failed', last_error: `hub reported ${remote.transfer_status}: ${remote.status_detail}`.slice(0, 2000) });
      auditLine(logger, 'failed', job, { remote_status: remote.transfer_status });
      throw new PermanentTransferError(`job ${job.id}: hub reported ${remote.transfer_status}`);
    }
    await transitionOutbound(db, job.id, from, { ...base, local_status: 'awaiting_media' });
    auditLine(logger, 'remote_status_updated', job, { remote_status: remote.transfer_status });
    return 'awaiting_media';
  }

  /** The hub's status of this transfer (recovery and 409 handling). */
  async remoteStatus(job: OutboundJob): Promise<HubTransferStatus> {
    const config = await senderConfig(this.deps.db, this.deps.settings.hubExport, job.targetNodeId);
    return this.#statusLookup(config, job.transferKey);
  }

  async #statusLookup(config: SenderConfig, transferKey: string): Promise<HubTransferStatus> {
    const r = await hubRequest(config.transport, { nodeKey: config.sourceNode.nodeKey, secret: config.secret }, 'GET', hubUrl(config.targetNode.baseUrl, `api/media/hub/transfers/${encodeURIComponent(transferKey)}/status/`));
    return this.#statusFrom(r, [200]);
  }

  #statusFrom(r: HubResponse, ok: number[]): HubTransferStatus {
    if (!ok.includes(r.status)) {
      if (r.status >= 500 || r.status === 429) throw new HubNetworkError(detailOf(r));
      throw new PermanentTransferError(detailOf(r));
    }
    const parsed = HubTransferStatus.safeParse(r.body);
    if (!parsed.success) throw new HubNetworkError('unexpected status response from the hub');
    return parsed.data;
  }

  async #envelopeKey(config: SenderConfig): Promise<HubEnvelopeKey | undefined> {
    const r = await hubRequest(config.transport, { nodeKey: config.sourceNode.nodeKey, secret: config.secret }, 'GET', hubUrl(config.targetNode.baseUrl, 'api/media/hub/transfers/envelope-key/'));
    if (r.status === 404) return undefined;
    if (r.status !== 200) return void this.#statusFrom(r, [200]);
    const parsed = HubEnvelopeKey.safeParse(r.body);
    if (!parsed.success || parsed.data.target_node_key !== config.targetNode.nodeKey) throw new PermanentTransferError('the hub published an envelope key for another node');
    return parsed.data;
  }

  async #register(config: SenderConfig, job: OutboundJob, c: ExportCandidate, schema: '2.0' | '3.0'): Promise<HubTransferStatus> {
    const payload: HubTransferCreate = {
      transfer_key: job.transferKey,
      source_node_key: config.sourceNode.nodeKey,
      target_node_key: config.targetNode.nodeKey,
      source_center_key: c.centerKey,
      resource_kind: c.resourceKind,
      resource_hash: c.resourceHash,
      transfer_mode: 'metadata_and_processed_media',
      processing_policy: 'preserve_processing_state',
      processing_intent: 'sender_requests_state_preservation',
      cleanup_policy: 'retain_all',
      payload_schema_version: schema,
      resource_rows: resourceRowsOf(c),
      processing_snapshot: { sender_processing_success: true },
      provenance: { entrypoint: 'lx_annotate_sender', outbound_job_id: job.id },
    };
    const credentials = { nodeKey: config.sourceNode.nodeKey, secret: config.secret };
    const r = await hubRequest(config.transport, credentials, 'POST', hubUrl(config.targetNode.baseUrl, 'api/media/hub/transfers/'), { json: payload });
    if (r.status === 409) {
      auditLine(this.deps.logger, 'registration_reused', job);
      return this.#statusLookup(config, job.transferKey);
    }
    return this.#statusFrom(r, [200, 201]);
  }

  async #upload(config: SenderConfig, storage: StorageService, job: OutboundJob, c: ExportCandidate, key: HubEnvelopeKey | undefined): Promise<HubTransferStatus> {
    const processed = c.processedFile as string;
    const size = await storage.size(processed);
    const plaintext = await storage.read(processed);
    let file: AsyncIterable<Uint8Array> = plaintext;
    let fileBytes = size;
    if (key) {
      const sealed = sealEnvelope(plaintext, { recipientPublicKey: key.public_key, recipientKeyId: key.key_id, targetNodeKey: key.target_node_key, transferKey: job.transferKey, plaintextBytes: size });
      file = sealed.body;
      fileBytes = sealed.totalBytes;
    }
    const name = key ? `${c.processedSha256}.lxhenv` : `${c.processedSha256}${suffixOf(c)}`;
    const body = multipartUpload(name, fileBytes, file);
    try {
      const r = await hubRequest(config.transport, { nodeKey: config.sourceNode.nodeKey, secret: config.secret }, 'POST', hubUrl(config.targetNode.baseUrl, `api/media/hub/transfers/${encodeURIComponent(job.transferKey)}/media/`), body);
      return this.#statusFrom(r, [200]);
    } finally {
      plaintext.destroy();
    }
  }

  async #fail(job: OutboundJob, message: string, countRetry: boolean): Promise<void> {
    await transitionOutbound(this.deps.db, job.id, ['queued', 'failed', ...IN_FLIGHT], { local_status: 'failed', last_error: message.slice(0, 2000), ...(countRetry ? { retry_count: job.retryCount + 1 } : {}) });
  }

  async #networkOrPermanent(job: OutboundJob, prefix: string, error: unknown): Promise<never> {
    const permanent = error instanceof PermanentTransferError;
    const current = (await findOutbound(this.deps.db, job.id)) ?? job;
    await transitionOutbound(this.deps.db, job.id, IN_FLIGHT, { local_status: 'failed', last_error: `${prefix} ${(error as Error).message}`.slice(0, 2000), retry_count: current.retryCount + (permanent ? 0 : 1) });
    auditLine(this.deps.logger, 'failed', job, { retryable: !permanent });
    throw permanent ? error : new Error(`job ${job.id}: ${prefix} ${(error as Error).message}`);
  }
}

/**
 * The exact-key rows the hub accepts: pseudonymous hashes, state flags and, for a report, the
 * validated anonymized text. No name, date of birth or raw text is ever read into them.
 */
function resourceRowsOf(c: ExportCandidate): HubTransferCreate['resource_rows'] {
  const sha = c.processedSha256 as string;
  const state = { anonymized: c.anonymized, anonymization_validated: c.validated, processing_error: c.processingError, processed_file_sha256: sha };
  const common = {
    sensitive_meta: { patient_hash: c.patientHash as string, examination_hash: c.examinationHash as string },
    processing_history: { file_hash: c.resourceHash, success: true },
  };
  if (c.resourceKind === 'report') return { raw_pdf_file: { pdf_hash: c.resourceHash, anonymized_text: c.anonymizedText as string }, raw_pdf_state: state, ...common };
  return {
    video_file: { video_hash: c.resourceHash, processed_video_hash: sha, suffix: suffixOf(c), fps: c.fps, duration: c.durationSeconds, frame_count: c.frameCount, width: c.width, height: c.height },
    // Only eligible videos are registered (validated, gate passed, segment cleanup done, hash set): that is
    // what the original's `ready_for_export` certifies, and no step of this system sets the column itself.
    video_state: { ...state, ready_for_export: true },
    ...common,
  };
}

function suffixOf(c: ExportCandidate): string {
  if (c.resourceKind === 'report') return '.pdf';
  const ext = c.processedFile ? extname(c.processedFile).toLowerCase() : '';
  return /^\.[a-z0-9]{1,8}$/.test(ext) && ext !== '.lxenc' ? ext : '.mp4';
}

import { randomUUID } from 'node:crypto';
import type { HubExportItem, HubExportMarkRequest, HubExportOverview } from '@lx/contracts';
import type { LazyStorage } from '../../adapters/storage/index.js';
import type { Settings } from '../../config/index.js';
import { nowIso, type Db } from '../../db/index.js';
import type { Logger } from '../../log/logger.js';
import { Conflict, Invalid } from '../../shared/errors.js';
import type { AuditLedger } from '../audit/index.js';
import { annotatorOf, requireCenterScope, type Actor } from '../auth/index.js';
import { blockedReason, findAllCandidates, findCandidatesFor, resourceKey, transferKeyFor } from './eligibility.js';
import { listActiveNodesByRole, type NetworkNode } from './nodes.repository.js';
import { countOutboundByStatus, deleteMarked, findOutbound, findOutboundForResources, insertOutbound, transitionOutbound, type OutboundJob } from './outbound.repository.js';
import { privacySummary } from './privacy-summary.js';
import { sourceNodeOf, SenderConfigError, transportOf } from './sender.config.js';
import { auditLine } from './sender.service.js';

/** Puts one ledger row on the `hub_transfer` queue (wired to the job definition by the feature). */
export type EnqueueTransfer = (job: OutboundJob) => Promise<void>;

export class TargetNodeError extends Conflict {}

/** The sender's local export API: overview with eligibility and privacy summary, mark, unmark, queue. */
export class HubExportService {
  constructor(
    private readonly deps: { db: Db; storage: LazyStorage; audit: AuditLedger; settings: Pick<Settings, 'hubExport'>; logger: Logger; enqueue: EnqueueTransfer },
  ) {}

  /** Exactly one active hub, or the one named. */
  async #target(nodeKey: string | undefined): Promise<NetworkNode> {
    const hubs = await listActiveNodesByRole(this.deps.db, 'central_hub');
    if (nodeKey) {
      const hub = hubs.find((h) => h.nodeKey === nodeKey);
      if (!hub) throw new TargetNodeError('Unbekannter oder inaktiver Ziel-Hub', { target_node_key: ['Unbekannter oder inaktiver Ziel-Hub'] });
      return hub;
    }
    if (hubs.length !== 1) throw new TargetNodeError('Es muss genau ein aktiver Hub konfiguriert sein', { target_node_key: [`Es muss genau ein aktiver Hub konfiguriert sein (gefunden: ${hubs.length})`] });
    return hubs[0] as NetworkNode;
  }

  async overview(actor: Actor, targetNodeKey: string | undefined): Promise<HubExportOverview> {
    const scope = requireCenterScope(actor);
    const hubs = await listActiveNodesByRole(this.deps.db, 'central_hub');
    let configError = '';
    let source: NetworkNode | undefined;
    try {
      source = await sourceNodeOf(this.deps.db);
      await transportOf(this.deps.settings.hubExport);
      if (!this.deps.settings.hubExport.sourceNodeSecret(source.nodeKey)) configError = 'Kein Knotengeheimnis konfiguriert (LX_ANNOTATE_HUB_SOURCE_NODE_SECRET)';
    } catch (error) {
      configError = error instanceof SenderConfigError ? error.message : 'Konfiguration nicht lesbar';
    }
    const target = targetNodeKey ? hubs.find((h) => h.nodeKey === targetNodeKey) : hubs.length === 1 ? hubs[0] : undefined;
    if (!target && configError === '') configError = hubs.length === 0 ? 'Kein aktiver Hub konfiguriert' : 'Ziel-Hub wählen';
    const storage = await this.deps.storage.service();
    const candidates = await findAllCandidates(this.deps.db, scope);
    const jobs = target ? await findOutboundForResources(this.deps.db, target.id, candidates) : [];
    const byResource = new Map(jobs.map((j) => [resourceKey({ resourceKind: j.resourceKind, id: j.resourceId }), j]));
    const items: HubExportItem[] = [];
    const centers = new Map<string, { center_key: string; processed_files: number; candidates: number; rejections: number; duplicates: number }>();
    const seenHashes = new Set<string>();
    for (const c of candidates) {
      const reason = await blockedReason(c, storage);
      const job = byResource.get(resourceKey(c));
      const center = centers.get(c.centerKey) ?? { center_key: c.centerKey, processed_files: 0, candidates: 0, rejections: 0, duplicates: 0 };
      if (c.processedFile) center.processed_files += 1;
      if (reason) center.rejections += 1;
      else if (c.processedSha256 && seenHashes.has(c.processedSha256)) center.duplicates += 1;
      else center.candidates += 1;
      if (c.processedSha256) seenHashes.add(c.processedSha256);
      centers.set(c.centerKey, center);
      items.push({
        resource_kind: c.resourceKind,
        id: c.id,
        center_key: c.centerKey,
        resource_hash: c.resourceHash,
        eligible: reason === null,
        blocked_reason: reason,
        job: job ? jobView(job) : null,
      });
    }
    const privacyCases = candidates.map((c) => ({ centerKey: c.centerKey, resourceKind: c.resourceKind, examinationHash: c.examinationHash, examYear: c.examYear, patientDob: c.patientDob, patientGender: c.patientGender }));
    return {
      selected_target_node_key: target?.nodeKey ?? null,
      source_node_key: source?.nodeKey ?? null,
      hub_nodes: hubs.map((h) => ({ node_key: h.nodeKey, display_name: h.displayName, base_url: h.baseUrl })),
      config_ready: configError === '',
      config_error: configError,
      privacy_summary: privacySummary(privacyCases),
      sync_summary: { centers: [...centers.values()], by_status: await countOutboundByStatus(this.deps.db) },
      items,
    };
  }

  async mark(actor: Actor, request: HubExportMarkRequest): Promise<{ marked_count: number; target_node_key: string }> {
    const scope = requireCenterScope(actor);
    const target = await this.#target(request.target_node_key ?? request.targetNodeKey);
    const source = await sourceNodeOf(this.deps.db).catch((error: unknown) => {
      throw error instanceof SenderConfigError ? new TargetNodeError(error.message, { target_node_key: [error.message] }) : error;
    });
    const storage = await this.deps.storage.service();
    const refs = refsOf(request);
    const candidates = new Map((await findCandidatesFor(this.deps.db, scope, refs)).map((c) => [resourceKey(c), c]));
    let marked = 0;
    for (const ref of refs) {
      const { resourceKind: kind, id } = ref;
      const c = candidates.get(resourceKey(ref));
      const reason = c ? await blockedReason(c, storage) : 'not_ready_for_export';
      if (!c || reason) throw new Invalid(`${kind === 'video' ? 'Video' : 'Bericht'} ${id} kann nicht exportiert werden: ${reason}`);
      const [existing] = await findOutboundForResources(this.deps.db, target.id, [ref]);
      if (existing) continue;
      const jobId = randomUUID();
      await insertOutbound(this.deps.db, { id: jobId, resourceKind: kind, resourceId: id, sourceCenterId: c.centerId, targetNodeId: target.id, transferKey: transferKeyFor(source.nodeKey, kind, c.resourceHash), cleanupPolicy: this.deps.settings.hubExport.localCleanupPolicy, markedBy: annotatorOf(actor) });
      marked += 1;
      const job = (await findOutbound(this.deps.db, jobId)) as OutboundJob;
      auditLine(this.deps.logger, 'marked', job, { username: actor.username, target_node: target.nodeKey, center_key: c.centerKey });
      await this.deps.audit.append({ action: 'hub_export.marked', objectType: 'outbound_hub_transfer', objectPk: jobId, actor: actor.username, centerId: c.centerId, data: { resource_kind: kind, resource_id: id, target_node_key: target.nodeKey } });
      if (this.deps.settings.hubExport.autoQueue) await this.queue(job, actor.username);
    }
    return { marked_count: marked, target_node_key: target.nodeKey };
  }

  async unmark(actor: Actor, request: HubExportMarkRequest): Promise<{ unmarked_count: number; target_node_key: string }> {
    const scope = requireCenterScope(actor);
    const target = await this.#target(request.target_node_key ?? request.targetNodeKey);
    const visible = await findCandidatesFor(this.deps.db, scope, refsOf(request));
    const count = await deleteMarked(this.deps.db, target.id, visible);
    if (count > 0) await this.deps.audit.append({ action: 'hub_export.unmarked', objectType: 'outbound_hub_transfer', actor: actor.username, data: { count, target_node_key: target.nodeKey } });
    return { unmarked_count: count, target_node_key: target.nodeKey };
  }

  /** `marked` or `failed` → `queued`, then onto the `hub_transfer` queue. */
  async queue(job: OutboundJob, username = ''): Promise<boolean> {
    const retry = job.localStatus === 'failed';
    const moved = await transitionOutbound(this.deps.db, job.id, ['marked', 'failed'], { local_status: 'queued', queued_at: nowIso(), ...(retry ? { last_error: '' } : {}) });
    if (!moved) return false;
    auditLine(this.deps.logger, retry ? 'retry_queued' : 'queued', job, { username });
    await this.deps.enqueue(job);
    return true;
  }

  /** A `queued` row whose queue job was lost: put it on the queue again (deduplicated by ledger id). */
  async requeue(job: OutboundJob): Promise<void> {
    await this.deps.enqueue(job);
  }

  /** Queues every `marked` job of the actor's centers (the page's "Übertragen"). */
  async queueMarked(actor: Actor, targetNodeKey: string | undefined): Promise<number> {
    const scope = requireCenterScope(actor);
    const target = await this.#target(targetNodeKey);
    const candidates = await findAllCandidates(this.deps.db, scope);
    const byResource = new Map(candidates.map((c) => [resourceKey(c), c]));
    const storage = await this.deps.storage.service();
    let queued = 0;
    for (const job of await findOutboundForResources(this.deps.db, target.id, candidates)) {
      if (job.localStatus !== 'marked' && job.localStatus !== 'failed') continue;
      // A resource that is not eligible now stays where it is, with its reason on the page.
      const candidate = byResource.get(resourceKey({ resourceKind: job.resourceKind, id: job.resourceId }));
      if (!candidate || (await blockedReason(candidate, storage)) !== null) continue;
      if (await this.queue(job, actor.username)) queued += 1;
    }
    return queued;
  }
}

const refsOf = (request: HubExportMarkRequest) => request.resources.map((r) => ({ resourceKind: r.resource_kind, id: r.id }));

function jobView(job: OutboundJob): NonNullable<HubExportItem['job']> {
  return {
    id: job.id,
    transfer_key: job.transferKey,
    local_status: job.localStatus,
    retry_count: job.retryCount,
    last_error: job.lastError,
    remote_transfer_status: job.remoteTransferStatus,
    payload_schema_version: job.payloadSchemaVersion,
    marked_by: job.markedBy,
    marked_at: job.markedAt,
    completed_at: job.completedAt,
    local_cleanup_status: job.localCleanupStatus,
  };
}

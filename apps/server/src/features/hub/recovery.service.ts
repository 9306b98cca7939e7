import { BLOCKED_REASONS, type LocalStatus } from '@lx/contracts';
import { HubNetworkError } from '../../adapters/hub-client/index.js';
import type { Settings } from '../../config/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import type { Db } from '../../db/index.js';
import { eligibilityOf } from './eligibility.js';
import type { Logger } from '../../log/logger.js';
import type { HubExportService } from './export.service.js';
import { findNodeById } from './nodes.repository.js';
import { findOutbound, listOutboundByStatus, listOutboundWithStateChanges, markStateChangeSeen, transitionOutbound, type OutboundJob } from './outbound.repository.js';
import { sourceNodeOf } from './sender.config.js';
import { auditLine, PermanentTransferError, RECONCILIATION_FAILED, RETRYABLE_PREFIXES, type HubSender } from './sender.service.js';

export interface RecoverySummary {
  scanned: number;
  recovered: number;
  redispatched: number;
  failed: number;
  skipped: number;
}

const IN_FLIGHT: readonly LocalStatus[] = ['registering', 'awaiting_media', 'uploading'];

/**
 * Reconciles stale ledger rows (`lx-annotate hub recover` and the periodic job): stale queued jobs
 * and retryable failures are queued again; stale in-flight jobs ask the hub first and either take
 * its verdict or are queued again. A transfer is idempotent on the hub (same transfer_key, same
 * verified file), so a re-run after a crash completes it exactly once.
 */
export class HubRecoveryService {
  constructor(private readonly deps: { db: Db; storage: LazyStorage; sender: HubSender; exports: HubExportService; settings: Pick<Settings, 'hubExport'>; logger: Logger }) {}

  async recover(options: { staleAfterSeconds?: number; sourceNodeKey?: string; now?: Date } = {}): Promise<RecoverySummary> {
    const { db, settings, logger } = this.deps;
    const source = await sourceNodeOf(db);
    if (options.sourceNodeKey !== undefined && options.sourceNodeKey !== source.nodeKey) throw new Error(`this site's node is "${source.nodeKey}", not "${options.sourceNodeKey}"`);
    const staleMs = (options.staleAfterSeconds ?? settings.hubExport.staleAfterSeconds) * 1000;
    const now = (options.now ?? new Date()).getTime();
    const summary: RecoverySummary = { scanned: 0, recovered: 0, redispatched: 0, failed: 0, skipped: 0 };
    for (const job of await listOutboundByStatus(db, ['queued', 'failed', ...IN_FLIGHT])) {
      summary.scanned += 1;
      const last = Date.parse(job.lastAttemptAt ?? job.updatedAt);
      const retriesLeft = job.retryCount < settings.hubExport.maxRetries;
      if (now - last < staleMs) {
        summary.skipped += 1;
        continue;
      }
      if (job.localStatus === 'queued') {
        if (retriesLeft) {
          await this.#redispatch(job);
          summary.redispatched += 1;
        } else summary.skipped += 1;
        continue;
      }
      if (job.localStatus === 'failed') {
        if (retriesLeft && RETRYABLE_PREFIXES.some((p) => job.lastError.startsWith(p))) {
          await this.deps.exports.queue(job);
          auditLine(logger, 'recovery_redispatched', job);
          summary.redispatched += 1;
        } else summary.skipped += 1;
        continue;
      }
      await this.#reconcileInFlight(job, retriesLeft, summary);
    }
    return summary;
  }

  /**
   * Re-evaluates eligibility (the original does it on each state save): a resource that became
   * ineligible gets its blocked reason and its in-flight rows fail; one that is eligible again loses
   * the stale reason; with auto-queue, marked rows of eligible resources are queued. `changed`
   * takes only rows whose resource state was saved since their last re-evaluation (the triggers of
   * migration 0010 count the saves); otherwise every unfinished row.
   */
  async reevaluate(options: { changed?: boolean } = {}): Promise<{ blocked: number; queued: number }> {
    const { db, logger, settings } = this.deps;
    const result = { blocked: 0, queued: 0 };
    const jobs = options.changed ? await listOutboundWithStateChanges(db) : await listOutboundByStatus(db, ['marked', 'queued', ...IN_FLIGHT]);
    if (jobs.length === 0) return result;
    const storage = await this.deps.storage.service();
    for (const job of jobs) {
      if (job.localStatus === 'failed') {
        // Failed rows wait for a person's retry, which checks eligibility again.
        await markStateChangeSeen(db, job.id, job.stateChangeSeq);
        continue;
      }
      const { reason } = await eligibilityOf(db, job, storage);
      if (reason) {
        const inFlight = job.localStatus !== 'marked';
        if (await transitionOutbound(db, job.id, [job.localStatus], { last_error: reason, ...(inFlight ? { local_status: 'failed' } : {}) })) {
          auditLine(logger, 'ineligible_state_detected', job, { reason, previous_status: job.localStatus });
          result.blocked += 1;
        }
      } else {
        if ((BLOCKED_REASONS as readonly string[]).includes(job.lastError)) await transitionOutbound(db, job.id, [job.localStatus], { last_error: '' });
        if (job.localStatus === 'marked' && settings.hubExport.autoQueue && (await this.deps.exports.queue(job))) result.queued += 1;
      }
      await markStateChangeSeen(db, job.id, job.stateChangeSeq);
    }
    return result;
  }

  /** Runs every `queued` transfer in this process now (`hub recover --run`, when no worker serves hub_transfer). */
  async runQueued(): Promise<{ completed: number; failed: number }> {
    const result = { completed: 0, failed: 0 };
    for (const job of await listOutboundByStatus(this.deps.db, ['queued'])) {
      try {
        if ((await this.deps.sender.run(job.id)) === 'completed') result.completed += 1;
      } catch (error) {
        this.deps.logger.warn({ job: job.id, err: (error as Error).message }, 'hub transfer failed during recovery');
        result.failed += 1;
      }
    }
    return result;
  }

  async #redispatch(job: OutboundJob): Promise<void> {
    await transitionOutbound(this.deps.db, job.id, ['queued'], { last_attempt_at: new Date().toISOString() });
    await this.deps.exports.requeue(job);
    auditLine(this.deps.logger, 'recovery_redispatched', job);
  }

  async #reconcileInFlight(job: OutboundJob, retriesLeft: boolean, summary: RecoverySummary): Promise<void> {
    const { db, logger, sender } = this.deps;
    try {
      const remote = await sender.remoteStatus(job);
      if (remote.transfer_status === 'applied') {
        await sender.applyRemote(job, remote, IN_FLIGHT);
        auditLine(logger, 'reconciled', job, { remote_status: remote.transfer_status });
        summary.recovered += 1;
        return;
      }
      if (remote.transfer_status === 'failed' || remote.transfer_status === 'inconsistent') {
        await sender.applyRemote(job, remote, IN_FLIGHT).catch((error: unknown) => {
          if (!(error instanceof PermanentTransferError)) throw error;
        });
        summary.failed += 1;
        return;
      }
      await transitionOutbound(db, job.id, IN_FLIGHT, { local_status: 'failed', last_error: `${RECONCILIATION_FAILED} hub is ${remote.transfer_status}` });
    } catch (error) {
      const reason = error instanceof HubNetworkError || error instanceof PermanentTransferError ? error.message : (error as Error).message;
      await transitionOutbound(db, job.id, IN_FLIGHT, { local_status: 'failed', last_error: `${RECONCILIATION_FAILED} ${reason}`.slice(0, 2000) });
      auditLine(logger, 'recovery_stale_failure', job, { target_node: (await findNodeById(db, job.targetNodeId))?.nodeKey });
    }
    const current = (await findOutbound(db, job.id)) ?? job;
    if (retriesLeft && current.localStatus === 'failed') {
      await this.deps.exports.queue(current);
      auditLine(logger, 'recovery_redispatched', job);
      summary.redispatched += 1;
    } else summary.failed += 1;
  }
}

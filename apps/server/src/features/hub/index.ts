// The hub feature's public surface: network nodes, the hub's transfer receiver and the site's sender.
import { loadRecipientKeyring, type RecipientKeyring } from '../../adapters/hub-client/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import type { JobDefinition, JobQueue } from '../../jobs/index.js';
import type { Logger } from '../../log/logger.js';
import type { AuditLedger } from '../audit/index.js';
import { HubExportService } from './export.service.js';
import { enqueueOutbound, hubJobs } from './hub.jobs.js';
import { NodesService } from './nodes.service.js';
import { HubReceiverService } from './receiver.service.js';
import { HubRecoveryService } from './recovery.service.js';
import { HubSender } from './sender.service.js';

export { NodesService, MIN_NODE_SECRET_LENGTH, slugifyNodeKey, type AddNodeInput, type NodeAuthFailure } from './nodes.service.js';
export type { NetworkNode } from './nodes.repository.js';
export { HubReceiverService, MESSAGES as HUB_TRANSFER_MESSAGES, metaKeyToHeader, type TransferRequest } from './receiver.service.js';
export { PLAINTEXT_PROHIBITED } from './receiver-media.js';
export { HubExportService } from './export.service.js';
export { HubSender, PermanentTransferError } from './sender.service.js';
export { HubRecoveryService, type RecoverySummary } from './recovery.service.js';
export { OUTBOUND_TRANSFER_JOB, RECOVER_TRANSFERS_JOB } from './hub.jobs.js';
export { privacySummary, ageBand, MIN_K } from './privacy-summary.js';
export { transferKeyFor } from './eligibility.js';
export { registerHubReceiverRoutes } from './receiver.routes.js';
export { registerHubExportRoutes } from './export.routes.js';
export { hubReadinessChecks } from './readiness.js';

/** Everything the hub feature wires. */
export interface Hub {
  readonly nodes: NodesService;
  readonly receiver: HubReceiverService;
  readonly exports: HubExportService;
  readonly sender: HubSender;
  readonly recovery: HubRecoveryService;
  readonly jobs: JobDefinition<any>[];
}

export function createHub(deps: { db: Db; audit: AuditLedger; storage: LazyStorage; settings: Settings; logger: Logger; queue: () => JobQueue }): Hub {
  const { db, audit, storage, settings, logger } = deps;
  const nodes = new NodesService(db, audit);
  let keyring: RecipientKeyring | undefined;
  const recipientKeys = (): RecipientKeyring | undefined => {
    if (settings.hub.recipientPrivateKeyFiles.length === 0) return undefined;
    keyring ??= loadRecipientKeyring(settings.hub.recipientPrivateKeyFiles);
    return keyring;
  };
  const receiver = new HubReceiverService({ db, audit, nodes, storage, settings, recipientKeys, logger });
  const sender = new HubSender({ db, storage, settings, logger });
  const holder: { recovery?: HubRecoveryService } = {};
  const jobs = hubJobs(sender, () => holder.recovery as HubRecoveryService, settings.hubExport.maxRetries);
  const exports = new HubExportService({ db, storage, audit, settings, logger, enqueue: enqueueOutbound(deps.queue, jobs[0] as JobDefinition<any>) });
  const recovery = new HubRecoveryService({ db, storage, sender, exports, settings, logger });
  holder.recovery = recovery;
  return { nodes, receiver, exports, sender, recovery, jobs };
}

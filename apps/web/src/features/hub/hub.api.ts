import { http } from '../../shared/http';
import type { HubReadinessCheck } from './readiness-text';

/** `hub-export/overview/` (contracts HubExportOverview) after camelCase conversion. */
export interface HubExportJob {
  id: string;
  transferKey: string;
  localStatus: string;
  retryCount: number;
  lastError: string;
  remoteTransferStatus: string;
  payloadSchemaVersion: string;
  markedBy: string;
  markedAt: string | null;
  completedAt: string | null;
}

export interface HubExportItem {
  resourceKind: 'video' | 'report';
  id: number;
  centerKey: string;
  resourceHash: string;
  eligible: boolean;
  blockedReason: string | null;
  job: HubExportJob | null;
}

export interface PrivacySummary {
  minK: number;
  totalCases: number;
  classCount: number;
  classesBelowK: number;
  casesBelowK: number;
  satisfiesK: boolean;
  classes: { centerKey: string; resourceKind: string; examYear: string; ageBand: string; gender: string; count: number }[];
}

export interface HubExportOverview {
  selectedTargetNodeKey: string | null;
  sourceNodeKey: string | null;
  hubNodes: { nodeKey: string; displayName: string; baseUrl: string }[];
  configReady: boolean;
  configError: string;
  privacySummary: PrivacySummary;
  syncSummary: { byStatus: Record<string, number> };
  items: HubExportItem[];
}

export type ResourceRef = { resourceKind: 'video' | 'report'; id: number };

export const hubApi = {
  overview: (targetNodeKey?: string) => http.get<HubExportOverview>('hub-export/overview/', { query: { target_node_key: targetNodeKey } }),
  mark: (resources: ResourceRef[], targetNodeKey?: string) => http.post<{ markedCount: number }>('hub-export/mark/', { resources, targetNodeKey }),
  unmark: (resources: ResourceRef[], targetNodeKey?: string) => http.post<{ unmarkedCount: number }>('hub-export/unmark/', { resources, targetNodeKey }),
  /** The administration overview's hub readiness (`lx-annotate check` hub findings). */
  readiness: () => http.get<{ role: string; checks: HubReadinessCheck[] }>('admin/hub-readiness/'),
  queue: (targetNodeKey?: string) => http.post<{ queuedCount: number }>('hub-export/queue/', { targetNodeKey }),
};

import { access, constants } from 'node:fs/promises';
import type { ReadinessCheck } from '@lx/contracts';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { listActiveNodesByRole } from './nodes.repository.js';

async function readable(file: string | undefined): Promise<boolean> {
  if (file === undefined) return false;
  return access(file, constants.R_OK).then(
    () => true,
    () => false,
  );
}

/**
 * Hub readiness for the administration overview and the deployment checks (warnings: a site may
 * run without hub export): this site's source node, exactly one active https hub, and the client
 * certificate, key and CA files readable; on the hub, the envelope recipient key files.
 */
export async function hubReadinessChecks(db: Db, settings: Pick<Settings, 'role' | 'hub' | 'hubExport'>): Promise<ReadinessCheck[]> {
  const checks: ReadinessCheck[] = [];
  if (settings.role === 'central_hub' && settings.hub.recipientPrivateKeyFiles.length > 0) {
    const unreadable: string[] = [];
    for (const f of settings.hub.recipientPrivateKeyFiles) if (!(await readable(f))) unreadable.push(f);
    checks.push({ name: 'hub_recipient_keys', ok: unreadable.length === 0, severity: 'warning', detail: unreadable.length === 0 ? `${settings.hub.recipientPrivateKeyFiles.length} key file(s) readable` : `unreadable: ${unreadable.join(', ')}` });
  }
  let sources;
  let hubs;
  try {
    sources = await listActiveNodesByRole(db, 'site_node');
    hubs = await listActiveNodesByRole(db, 'central_hub');
  } catch {
    return checks;
  }
  if (settings.role === 'central_hub' || (sources.length === 0 && hubs.length === 0)) return checks;
  checks.push({ name: 'hub_source_node', ok: sources.length === 1, severity: 'warning', detail: sources.length === 1 ? (sources[0]?.nodeKey ?? '') : `expected exactly one active site_node, found ${sources.length}` });
  const httpsHubs = hubs.filter((h) => h.baseUrl.startsWith('https://'));
  checks.push({ name: 'hub_target_node', ok: hubs.length === 1 && httpsHubs.length === 1, severity: 'warning', detail: hubs.length === 1 ? (httpsHubs.length === 1 ? (hubs[0]?.nodeKey ?? '') : 'base_url is not https') : `expected exactly one active central_hub, found ${hubs.length}` });
  const { clientCertFile, clientKeyFile, caFile, requireMtls } = settings.hubExport;
  const problems: string[] = [];
  if (requireMtls || clientCertFile !== undefined || clientKeyFile !== undefined) {
    if (!(await readable(clientCertFile))) problems.push('LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE');
    if (!(await readable(clientKeyFile))) problems.push('LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE');
  }
  if (caFile !== undefined && !(await readable(caFile))) problems.push('LX_ANNOTATE_HUB_EXPORT_CA_FILE');
  checks.push({ name: 'hub_export_certificates', ok: problems.length === 0, severity: 'warning', detail: problems.length === 0 ? 'readable' : `missing or unreadable: ${problems.join(', ')}` });
  return checks;
}

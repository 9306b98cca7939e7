import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReadinessCheck } from '@lx/contracts';
import type { LazyStorage } from '../../adapters/storage/index.js';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';

/** Tables the web and the watcher cannot work without; a recorded migration whose tables are gone is a broken restore. */
export const REQUIRED_TABLES = ['centers', 'video_files', 'sensitive_meta', 'pdf_files', 'upload_jobs', 'audit_ledger', 'ledger_head'] as const;

export async function schemaTablesCheck(db: Db): Promise<ReadinessCheck> {
  try {
    const tables = new Set((await db.introspection.getTables()).map((t) => t.name));
    const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
    return missing.length === 0
      ? { name: 'schema_tables', ok: true, severity: 'critical', detail: `${REQUIRED_TABLES.length} required tables present` }
      : { name: 'schema_tables', ok: false, severity: 'critical', detail: `missing tables: ${missing.join(', ')}` };
  } catch (error) {
    return { name: 'schema_tables', ok: false, severity: 'critical', detail: `introspection failed: ${(error as Error).message}` };
  }
}

/**
 * The nginx handoff: the URL must be the internal location of deploy/nginx-lx-annotate.conf.
 * Another absolute path works only with a matching nginx edit, hence a warning, not a refusal.
 */
export function protectedMediaUrlCheck(settings: Settings): ReadinessCheck {
  const url = settings.http.protectedMediaUrl;
  if (url === '/protected_media/') return { name: 'nginx_protected_media_url', ok: true, severity: 'critical', detail: url };
  return { name: 'nginx_protected_media_url', ok: false, severity: 'warning', detail: `${url} differs from /protected_media/; the nginx internal location must use the same path` };
}

/** Production should hand authorized plaintext media to nginx instead of streaming it through Node. */
export function serveWithNginxCheck(settings: Settings): ReadinessCheck {
  if (settings.http.serveWithNginx || settings.env !== 'production') {
    return { name: 'serve_with_nginx', ok: true, severity: 'warning', detail: settings.http.serveWithNginx ? 'X-Accel-Redirect handoff on' : `off (${settings.env})` };
  }
  return { name: 'serve_with_nginx', ok: false, severity: 'warning', detail: 'SERVE_WITH_NGINX is off in production: videos are streamed by the web process instead of nginx' };
}

/**
 * The built web app: `<static root>/.vite/manifest.json` with the `src/main.ts` entry. A warning:
 * the API works without it, but clinicians get no user interface.
 */
export async function staticAssetsCheck(settings: Settings): Promise<ReadinessCheck> {
  const name = 'static_assets';
  const manifestPath = join(settings.paths.staticRoot, '.vite', 'manifest.json');
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable or not JSON';
    return { name, ok: false, severity: 'warning', detail: `${manifestPath} ${reason}: the web app is not deployed (deploy.sh copies it from the release)` };
  }
  const entry = (manifest as Record<string, { file?: unknown } | undefined>)['src/main.ts'];
  if (typeof entry?.file !== 'string') return { name, ok: false, severity: 'warning', detail: `${manifestPath} has no src/main.ts entry` };
  try {
    await access(join(settings.paths.staticRoot, entry.file), constants.R_OK);
  } catch {
    return { name, ok: false, severity: 'warning', detail: `${entry.file} named by the manifest is missing` };
  }
  return { name, ok: true, severity: 'warning', detail: `${manifestPath} (entry ${entry.file})` };
}

/**
 * The master key must load and unwrap under the strict key-file rules. Critical in production,
 * where every managed payload is LXENC01; a warning elsewhere, since development and test
 * processes that never touch storage may run without one.
 */
export async function masterKeyCheck(settings: Settings, storage: LazyStorage): Promise<ReadinessCheck> {
  const name = 'master_key';
  const severity: ReadinessCheck['severity'] = settings.env === 'production' ? 'critical' : 'warning';
  if (!storage.configured) {
    return { name, ok: false, severity, detail: 'not configured: set LX_ANNOTATE_MASTER_KEY_FILE or LX_ANNOTATE_MASTER_KEYRING_FILE (the application never generates a key)' };
  }
  try {
    const keyring = await storage.keyring();
    const retiring = keyring.retiring.length > 0 ? `, ${keyring.retiring.length} retiring` : '';
    return { name, ok: true, severity, detail: `active key ${keyring.active.id}${retiring}` };
  } catch (error) {
    // Key errors name the variable, file and rule, never key material.
    return { name, ok: false, severity: 'critical', detail: (error as Error).message };
  }
}

async function pemFileProblem(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return 'not set';
  try {
    const s = await stat(path);
    if (!s.isFile()) return `${path} is not a regular file`;
    await access(path, constants.R_OK);
    return undefined;
  } catch {
    return `${path} is missing or unreadable`;
  }
}

/**
 * The role matrix of the guide. The fail-fast rules (settings) already refuse the impossible
 * combinations; this reports the profile in effect and what a role still needs at run time.
 */
export async function roleContractChecks(settings: Settings): Promise<ReadinessCheck[]> {
  const { role, hub, hubExport, database } = settings;
  const checks: ReadinessCheck[] = [];
  if (role === 'central_hub') {
    checks.push(
      database.engine === 'postgres'
        ? { name: 'role_contract', ok: true, severity: 'critical', detail: `central_hub: PostgreSQL, strict ingest (center_key required), transfer receiver ${hub.enableTransfers ? `on behind mTLS (${hub.mtlsMetaKey}=${hub.mtlsMetaValue})` : 'off'}` }
        : { name: 'role_contract', ok: false, severity: 'critical', detail: 'central_hub on SQLite: a hub needs PostgreSQL (DATABASE_URL or DJANGO_DB_*)' },
    );
  } else {
    checks.push({ name: 'role_contract', ok: true, severity: 'critical', detail: `${role}: default-center ingest for trusted drop directories; transfer receiver off` });
  }
  const configured = [hubExport.clientCertFile, hubExport.clientKeyFile, hubExport.caFile].some((f) => f !== undefined);
  if (configured || (role === 'site_node' && hubExport.requireMtls)) {
    const problems: string[] = [];
    for (const [variable, path] of [
      ['LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE', hubExport.clientCertFile],
      ['LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE', hubExport.clientKeyFile],
      ['LX_ANNOTATE_HUB_EXPORT_CA_FILE', hubExport.caFile],
    ] as const) {
      const problem = await pemFileProblem(path);
      if (problem !== undefined) problems.push(`${variable}: ${problem}`);
    }
    // A configured but broken file breaks every transfer; an unconfigured sender is only unused.
    const broken = problems.some((p) => !p.endsWith('not set'));
    checks.push(
      problems.length === 0
        ? { name: 'hub_export_tls', ok: true, severity: 'warning', detail: 'client certificate, key and CA readable' }
        : { name: 'hub_export_tls', ok: false, severity: broken ? 'critical' : 'warning', detail: `hub export with mTLS needs: ${problems.join('; ')}` },
    );
  }
  return checks;
}

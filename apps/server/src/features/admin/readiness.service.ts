import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { sql } from 'kysely';
import type { ReadinessCheck, ReadinessResponse } from '@lx/contracts';
import { LazyStorage } from '../../adapters/storage/index.js';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { schemaStatus } from '../../db/index.js';
import {
  masterKeyCheck,
  protectedMediaUrlCheck,
  roleContractChecks,
  schemaTablesCheck,
  serveWithNginxCheck,
  staticAssetsCheck,
} from './deployment-checks.js';
import { hubReadinessChecks } from '../hub/index.js';
import { hostToolChecks } from './host-tools.js';
import { contractDirectories, permissionCheck } from './permission-contract.js';

/** Every directory the runtime needs, with the name used in check output. */
export function runtimeDirectories(settings: Settings): Array<[string, string]> {
  return contractDirectories(settings)
    .filter((d) => d.kind !== 'static')
    .map((d) => [d.name, d.path]);
}

export async function directoryCheck(name: string, path: string): Promise<ReadinessCheck> {
  try {
    const s = await stat(path);
    if (!s.isDirectory()) return { name: `dir:${name}`, ok: false, severity: 'critical', detail: `${name}_not_dir: ${path}` };
  } catch {
    return { name: `dir:${name}`, ok: false, severity: 'critical', detail: `${name}_missing: ${path}` };
  }
  for (const [mode, label] of [
    [constants.R_OK, 'read'],
    [constants.W_OK, 'write'],
    [constants.X_OK, 'execute'],
  ] as const) {
    try {
      await access(path, mode);
    } catch {
      return { name: `dir:${name}`, ok: false, severity: 'critical', detail: `${name}_${label}_denied: ${path}` };
    }
  }
  return { name: `dir:${name}`, ok: true, severity: 'critical', detail: path };
}

/**
 * `runtime`: what `/readyz` asks on every probe (database, schema, directories usable); cheap.
 * `deployment`: what `lx-annotate check` and the start of the web process ask once: the runtime
 * checks plus schema tables, the permission contract, nginx handoff, host tools, master key and
 * role contract.
 */
export type CheckScope = 'runtime' | 'deployment';

export function isReady(checks: readonly ReadinessCheck[]): boolean {
  return checks.every((c) => c.ok || c.severity !== 'critical');
}

/** A long-running role (web, watcher) found a critical problem of its host at start. */
export class RefusingToStart extends Error {
  override readonly name = 'RefusingToStart';
  constructor(readonly critical: readonly ReadinessCheck[]) {
    super(`refusing to start on ${critical.length} critical finding(s): ${critical.map((c) => `${c.name}: ${c.detail}`).join('; ')} (lx-annotate check lists them all)`);
  }
}

/**
 * The start gate of the web and watcher processes: the deployment checks once, `RefusingToStart`
 * on any critical finding, otherwise the warnings for the caller to log.
 */
export async function startupGate(readiness: ReadinessService): Promise<ReadinessCheck[]> {
  const { checks } = await readiness.check('deployment');
  const critical = checks.filter((c) => !c.ok && c.severity === 'critical');
  if (critical.length > 0) throw new RefusingToStart(critical);
  return checks.filter((c) => !c.ok);
}

/** Readiness of this process and its host. */
export class ReadinessService {
  readonly #storage: LazyStorage;

  constructor(
    private readonly db: Db,
    private readonly settings: Settings,
    storage?: LazyStorage,
  ) {
    this.#storage = storage ?? new LazyStorage(settings.paths.storageDir, settings.storage);
  }

  async check(scope: CheckScope = 'runtime'): Promise<ReadinessResponse> {
    const checks: ReadinessCheck[] = [];
    const dbOk = await this.#databaseChecks(checks);
    const dirs = contractDirectories(this.settings);
    for (const dir of dirs) if (dir.kind !== 'static') checks.push(await directoryCheck(dir.name, dir.path));
    if (scope === 'deployment') {
      const serviceUid = process.geteuid?.();
      for (const dir of dirs) checks.push(await permissionCheck(dir, serviceUid));
      checks.push(protectedMediaUrlCheck(this.settings), serveWithNginxCheck(this.settings), await staticAssetsCheck(this.settings));
      checks.push(...(await hostToolChecks(this.settings)));
      checks.push(await masterKeyCheck(this.settings, this.#storage));
      checks.push(...(await roleContractChecks(this.settings)));
      if (dbOk) checks.push(await schemaTablesCheck(this.db));
      if (dbOk) checks.push(...(await hubReadinessChecks(this.db, this.settings)));
    }
    return { status: isReady(checks) ? 'ready' : 'not_ready', checks };
  }

  /** The hub findings alone (`hub_source_node`, `hub_target_node`, `hub_export_certificates`, …) for the administration overview. */
  async hubChecks(): Promise<ReadinessCheck[]> {
    return hubReadinessChecks(this.db, this.settings);
  }

  /** Appends the database and schema checks; true when the database answered. */
  async #databaseChecks(checks: ReadinessCheck[]): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      checks.push({ name: 'database', ok: true, severity: 'critical', detail: this.settings.database.engine });
    } catch (error) {
      checks.push({ name: 'database', ok: false, severity: 'critical', detail: `unreachable: ${(error as Error).message}` });
      return false;
    }
    try {
      const status = await schemaStatus(this.db);
      const ok = status.pending.length === 0 && status.unknown.length === 0;
      const detail = ok
        ? `${status.applied.length} migrations applied`
        : status.pending.length > 0
          ? `schema behind: pending ${status.pending.join(', ')} (run lx-annotate migrate)`
          : `schema ahead of this release: unknown ${status.unknown.join(', ')} (deploy the newer release or restore the matching backup)`;
      checks.push({ name: 'schema', ok, severity: 'critical', detail });
    } catch (error) {
      checks.push({ name: 'schema', ok: false, severity: 'critical', detail: `introspection failed: ${(error as Error).message}` });
    }
    return true;
  }
}

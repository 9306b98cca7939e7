import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { sql } from 'kysely';
import type { ReadinessCheck, ReadinessResponse } from '@lx/contracts';
import type { Settings } from '../../config/index.js';
import type { Db } from '../../db/index.js';
import { schemaStatus } from '../../db/index.js';

/** Every directory the runtime needs, with the name used in check output. */
export function runtimeDirectories(settings: Settings): Array<[string, string]> {
  const p = settings.paths;
  return [
    ['data_root', p.dataRoot],
    ['storage', p.storageDir],
    ['io_root', p.ioDir],
    ['protected_media_root', p.protectedMediaRoot],
    ['streamable_root', p.streamableRoot],
    ['streamable_raw_root', p.streamableRawRoot],
    ['streamable_processed_root', p.streamableProcessedRoot],
    ['quarantine', p.quarantineDir],
    ['logs', p.logsDir],
    ['video_import', p.importDirs.video],
    ['report_import', p.importDirs.report],
    ['preanonymized_import', p.importDirs.preanonymized],
    ['sap_import', p.importDirs.sapImport],
    ['sap_import_processed', p.importDirs.sapImportProcessed],
    ['sap_import_failed', p.importDirs.sapImportFailed],
  ];
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

/** Readiness of this process: database reachable, schema current, data directories usable. */
export class ReadinessService {
  constructor(
    private readonly db: Db,
    private readonly settings: Settings,
  ) {}

  async check(): Promise<ReadinessResponse> {
    const checks: ReadinessCheck[] = [];
    let dbOk = false;
    try {
      await sql`select 1`.execute(this.db);
      dbOk = true;
      checks.push({ name: 'database', ok: true, severity: 'critical', detail: this.settings.database.engine });
    } catch (error) {
      checks.push({ name: 'database', ok: false, severity: 'critical', detail: `unreachable: ${(error as Error).message}` });
    }
    if (dbOk) {
      try {
        const status = await schemaStatus(this.db);
        const ok = status.pending.length === 0 && status.unknown.length === 0;
        const detail = ok
          ? `${status.applied.length} migrations applied`
          : status.pending.length > 0
            ? `schema behind: pending ${status.pending.join(', ')} (run lx-annotate migrate)`
            : `schema ahead of this release: unknown ${status.unknown.join(', ')}`;
        checks.push({ name: 'schema', ok, severity: 'critical', detail });
      } catch (error) {
        checks.push({ name: 'schema', ok: false, severity: 'critical', detail: `introspection failed: ${(error as Error).message}` });
      }
    }
    for (const [name, path] of runtimeDirectories(this.settings)) checks.push(await directoryCheck(name, path));
    const ready = checks.every((c) => c.ok || c.severity !== 'critical');
    return { status: ready ? 'ready' : 'not_ready', checks };
  }
}

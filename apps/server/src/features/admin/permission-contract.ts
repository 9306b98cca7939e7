import { stat } from 'node:fs/promises';
import type { ReadinessCheck } from '@lx/contracts';
import type { Settings } from '../../config/index.js';

/**
 * The LuxNix permission contract of the guide: protected roots 0750 (service user full access,
 * nginx reads through the shared group), import drop directories 0770 (the watcher and the
 * operators who drop files share a group), static assets 0775.
 */
export type DirectoryClass = 'protected' | 'import' | 'static';

export const CONTRACT_MODES: Readonly<Record<DirectoryClass, number>> = { protected: 0o750, import: 0o770, static: 0o775 };

export interface ContractDirectory {
  readonly name: string;
  readonly path: string;
  readonly kind: DirectoryClass;
}

/** Every directory of the contract with its class, in the order checks are reported. */
export function contractDirectories(settings: Settings): ContractDirectory[] {
  const p = settings.paths;
  const protectedDirs: Array<[string, string]> = [
    ['data_root', p.dataRoot],
    ['storage', p.storageDir],
    ['io_root', p.ioDir],
    ['protected_media_root', p.protectedMediaRoot],
    ['streamable_root', p.streamableRoot],
    ['streamable_raw_root', p.streamableRawRoot],
    ['streamable_processed_root', p.streamableProcessedRoot],
    ['quarantine', p.quarantineDir],
    ['logs', p.logsDir],
  ];
  const importDirs: Array<[string, string]> = [
    ['video_import', p.importDirs.video],
    ['report_import', p.importDirs.report],
    ['preanonymized_import', p.importDirs.preanonymized],
    ['sap_import', p.importDirs.sapImport],
    ['sap_import_processed', p.importDirs.sapImportProcessed],
    ['sap_import_failed', p.importDirs.sapImportFailed],
  ];
  const seen = new Set<string>();
  const out: ContractDirectory[] = [];
  const add = (name: string, path: string, kind: DirectoryClass): void => {
    // IO_DIR defaults to the data root: one directory, checked once under its first name.
    if (seen.has(path)) return;
    seen.add(path);
    out.push({ name, path, kind });
  };
  for (const [name, path] of protectedDirs) add(name, path, 'protected');
  for (const [name, path] of importDirs) add(name, path, 'import');
  add('static_root', p.staticRoot, 'static');
  return out;
}

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/**
 * Compares a directory's mode and owner with the contract.
 *
 * Critical: patient-data directories (protected, import) that grant anything to "other" (every
 * local account could list or read patient files), and a world-writable static root (anyone could
 * plant script in the pages clinicians load). Warning: every other deviation, stricter ones
 * included (0700 locks nginx out of the protected media root), and an owner other than the
 * service user. Ownership is only compared when the check runs as the service user; run as root
 * it cannot know which account the services use.
 */
export async function permissionCheck(dir: ContractDirectory, serviceUid: number | undefined): Promise<ReadinessCheck> {
  const name = `permissions:${dir.name}`;
  let s;
  try {
    s = await stat(dir.path);
  } catch {
    // Existence is the directory check's finding (critical there, except for the static root).
    return { name, ok: false, severity: 'warning', detail: `${dir.path} does not exist; mode not checked` };
  }
  const mode = s.mode & 0o777;
  const expected = CONTRACT_MODES[dir.kind];
  const problems: string[] = [];
  let severity: ReadinessCheck['severity'] = 'warning';
  if (dir.kind !== 'static' && (mode & 0o007) !== 0) {
    severity = 'critical';
    problems.push(`mode ${octal(mode)} grants access to every local user (contract ${octal(expected)})`);
  } else if (dir.kind === 'static' && (mode & 0o002) !== 0) {
    severity = 'critical';
    problems.push(`mode ${octal(mode)} is world-writable (contract ${octal(expected)})`);
  } else if (mode !== expected) {
    problems.push(`mode ${octal(mode)}, contract ${octal(expected)}`);
  }
  if (serviceUid !== undefined && serviceUid !== 0 && s.uid !== serviceUid) {
    problems.push(`owned by uid ${s.uid}, the service runs as uid ${serviceUid}`);
  }
  if (problems.length === 0) {
    const owner = serviceUid === undefined || serviceUid === 0 ? ' (owner not compared: run as the service user)' : '';
    return { name, ok: true, severity: 'warning', detail: `${dir.path} ${octal(mode)}${owner}` };
  }
  return { name, ok: false, severity, detail: `${dir.path}: ${problems.join('; ')}` };
}

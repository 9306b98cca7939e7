import { lstat, mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { RuntimePaths } from '../../../config/index.js';
import { DomainError } from '../../../shared/errors.js';
import { fileStamp, moveIntoWithoutOverwrite, ownerForFilesIn } from './sap-output.js';
import type { SapImportOutcome, SapImportService } from './sap-import.service.js';

/** The LuxNix wrapper's stability gate: equal size on two checks 2 s apart, at most 20 checks. */
export const SAP_DROP_STABILITY = { intervalMs: 2000, attempts: 20 } as const;

export type SapDropEvent =
  | { readonly kind: 'imported'; readonly name: string; readonly movedTo: string; readonly outcome: SapImportOutcome }
  | { readonly kind: 'failed'; readonly name: string; readonly movedTo: string; readonly reason: string }
  /** Left in the drop directory: a host problem (disk full, I/O error) that a later run can overcome. */
  | { readonly kind: 'retry'; readonly name: string; readonly reason: string }
  /** Left in the drop directory: still being written. */
  | { readonly kind: 'unstable'; readonly name: string }
  | { readonly kind: 'ignored'; readonly name: string; readonly reason: string };

export interface SapDropSummary {
  /** Another run holds the drop directory lock; nothing was done. */
  readonly busy: boolean;
  readonly events: readonly SapDropEvent[];
}

export interface SapDropDeps {
  readonly importer: Pick<SapImportService, 'importZip'>;
  readonly paths: Pick<RuntimePaths, 'importDirs'>;
  readonly stability?: { readonly intervalMs: number; readonly attempts: number };
  readonly clock?: () => Date;
}

const TRANSIENT_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'ENOMEM', 'ETIMEDOUT']);
const LOCK_NAME = '.sap-import-drop.lock';

function isTransient(error: unknown): boolean {
  return !(error instanceof DomainError) && TRANSIENT_CODES.has((error as NodeJS.ErrnoException).code ?? '');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The operational wrapper around the SAP import (§7, LuxNix): every stable `*.zip` in
 * `import/sap_import/` is converted into the preanonymized drop directory, then moved to
 * `sap_import_processed/` or `sap_import_failed/`. The zip is never deleted or overwritten:
 * a name already taken there gets a UTC timestamp suffix.
 */
export class SapDropService {
  private readonly stability: { readonly intervalMs: number; readonly attempts: number };
  private readonly clock: () => Date;

  constructor(private readonly deps: SapDropDeps) {
    this.stability = deps.stability ?? SAP_DROP_STABILITY;
    this.clock = deps.clock ?? (() => new Date());
  }

  /** Waits until size and mtime are unchanged between two checks (and the file is not empty). */
  async waitUntilStable(path: string): Promise<boolean> {
    let previous: { size: number; mtimeMs: number } | undefined;
    for (let attempt = 1; attempt <= this.stability.attempts; attempt += 1) {
      const s = await lstat(path).catch(() => undefined);
      if (!s?.isFile()) return false;
      if (previous && s.size > 0 && s.size === previous.size && s.mtimeMs === previous.mtimeMs) return true;
      previous = { size: s.size, mtimeMs: s.mtimeMs };
      if (attempt < this.stability.attempts) await delay(this.stability.intervalMs);
    }
    return false;
  }

  /** One pass over the drop directory. Concurrent runs are excluded by a pid lock file. */
  async runOnce(onEvent: (event: SapDropEvent) => void = () => undefined): Promise<SapDropSummary> {
    const dirs = this.deps.paths.importDirs;
    for (const dir of [dirs.sapImport, dirs.sapImportProcessed, dirs.sapImportFailed]) await mkdir(dir, { recursive: true, mode: 0o770 });
    const release = await this.acquireLock(join(dirs.sapImport, LOCK_NAME));
    if (!release) return { busy: true, events: [] };
    const events: SapDropEvent[] = [];
    const emit = (event: SapDropEvent): void => {
      events.push(event);
      onEvent(event);
    };
    try {
      const entries = (await readdir(dirs.sapImport, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (entry.name.startsWith('.') || !entry.name.toLowerCase().endsWith('.zip')) continue;
        if (!entry.isFile()) {
          emit({ kind: 'ignored', name: entry.name, reason: entry.isSymbolicLink() ? 'symbolic link' : 'not a regular file' });
          continue;
        }
        await this.processOne(join(dirs.sapImport, entry.name), entry.name, emit);
      }
    } finally {
      await release();
    }
    return { busy: false, events };
  }

  private async processOne(path: string, name: string, emit: (event: SapDropEvent) => void): Promise<void> {
    const dirs = this.deps.paths.importDirs;
    if (!(await this.waitUntilStable(path))) {
      emit({ kind: 'unstable', name });
      return;
    }
    let outcome: SapImportOutcome;
    try {
      outcome = await this.deps.importer.importZip({ zipPath: path, outputDir: dirs.preanonymized });
    } catch (error) {
      const reason = (error as Error).message;
      if (isTransient(error)) {
        emit({ kind: 'retry', name, reason });
        return;
      }
      const movedTo = await moveIntoWithoutOverwrite(path, dirs.sapImportFailed, fileStamp(this.clock()), await ownerForFilesIn(dirs.sapImportFailed));
      emit({ kind: 'failed', name, movedTo, reason });
      return;
    }
    const movedTo = await moveIntoWithoutOverwrite(path, dirs.sapImportProcessed, fileStamp(this.clock()), await ownerForFilesIn(dirs.sapImportProcessed));
    emit({ kind: 'imported', name, movedTo, outcome });
  }

  private async acquireLock(lockPath: string): Promise<(() => Promise<void>) | undefined> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(lockPath, 'wx', 0o640);
        try {
          await handle.writeFile(`${process.pid}\n`);
        } finally {
          await handle.close();
        }
        return () => unlink(lockPath).catch(() => undefined);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) return undefined;
      // The previous holder died without cleaning up.
      await unlink(lockPath).catch(() => undefined);
    }
    return undefined;
  }

  /** Passes until `signal` aborts, `pollIntervalMs` apart; a failed pass is reported and the next one still runs. */
  async runUntil(signal: AbortSignal, pollIntervalMs: number, report: { onEvent?: (event: SapDropEvent) => void; onError?: (error: Error) => void } = {}): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.runOnce(report.onEvent);
      } catch (error) {
        report.onError?.(error as Error);
      }
      await delay(pollIntervalMs, undefined, { signal }).catch(() => undefined);
    }
  }
}

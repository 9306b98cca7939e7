import { lstat, statfs } from 'node:fs/promises';

/** §3.6: what must stay unchanged while a dropped file is still being written. */
export interface FileSnapshot {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly sizeBytes: bigint;
  readonly mtimeNs: bigint;
}

export type SnapshotResult =
  | { readonly kind: 'file'; readonly snapshot: FileSnapshot }
  | { readonly kind: 'missing' }
  | { readonly kind: 'refused'; readonly reason: 'symlink' | 'not_regular' };

/** `lstat`, so a symbolic link is seen as one (and refused), never followed. */
export async function takeSnapshot(path: string): Promise<SnapshotResult> {
  let info;
  try {
    info = await lstat(path, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  if (info.isSymbolicLink()) return { kind: 'refused', reason: 'symlink' };
  if (!info.isFile()) return { kind: 'refused', reason: 'not_regular' };
  return { kind: 'file', snapshot: { dev: info.dev, ino: info.ino, sizeBytes: info.size, mtimeNs: info.mtimeNs } };
}

export function sameSnapshot(a: FileSnapshot, b: FileSnapshot): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.sizeBytes === b.sizeBytes && a.mtimeNs === b.mtimeNs;
}

/** One tracked file of the stability gate. */
export interface GateState {
  readonly snapshot: FileSnapshot;
  /** When the snapshot last changed (ms since epoch). */
  readonly stableSinceMs: number;
  readonly firstSeenMs: number;
}

export type GateDecision = { readonly kind: 'ready' } | { readonly kind: 'wait'; readonly nextCheckMs: number } | { readonly kind: 'gave_up' };

/**
 * The §3.6 gate: ready once (device, inode, size, mtime_ns) has not changed for
 * `stableAfterMs` and the size is above zero. Checks come every `pollMs`, plus one
 * exactly when the window ends, so a finished file is handed off right after its
 * window rather than up to a poll later. A file still changing after `maxWaitMs`
 * is given up (it stays where it is until the next rescan finds it again).
 */
export function gateDecision(state: GateState, nowMs: number, options: { stableAfterMs: number; pollMs: number; maxWaitMs: number }): GateDecision {
  const stableForMs = nowMs - state.stableSinceMs;
  if (state.snapshot.sizeBytes > 0n && stableForMs >= options.stableAfterMs) return { kind: 'ready' };
  if (nowMs - state.firstSeenMs >= options.maxWaitMs) return { kind: 'gave_up' };
  const untilWindow = options.stableAfterMs - stableForMs;
  return { kind: 'wait', nextCheckMs: Math.max(1, state.snapshot.sizeBytes > 0n && untilWindow > 0 ? Math.min(options.pollMs, untilWindow) : options.pollMs) };
}

/** The state after a new observation: unchanged keeps its window, a change restarts it. */
export function observe(previous: GateState | undefined, snapshot: FileSnapshot, nowMs: number): GateState {
  if (!previous) return { snapshot, stableSinceMs: nowMs, firstSeenMs: nowMs };
  if (sameSnapshot(previous.snapshot, snapshot)) return previous;
  return { snapshot, stableSinceMs: nowMs, firstSeenMs: previous.firstSeenMs };
}

/** §3.5 low-disk rule: less than 5 GB free or more than 90 % used on the storage root. */
export const DISK_THRESHOLDS = { minFreeBytes: 5 * 1000 ** 3, maxUsedFraction: 0.9 } as const;

export interface DiskStatus {
  readonly freeBytes: number;
  readonly totalBytes: number;
  readonly usedFraction: number;
}

export type StatFs = (path: string) => Promise<DiskStatus>;

export const diskStatus: StatFs = async (path) => {
  const s = await statfs(path);
  const totalBytes = Number(s.blocks) * Number(s.bsize);
  const freeBytes = Number(s.bavail) * Number(s.bsize);
  const usedFraction = totalBytes > 0 ? 1 - Number(s.bfree) / Number(s.blocks) : 0;
  return { freeBytes, totalBytes, usedFraction };
};

/** Why new hand-offs wait, or undefined when there is room. */
export function lowDiskReason(status: DiskStatus, thresholds: { minFreeBytes: number; maxUsedFraction: number } = DISK_THRESHOLDS): string | undefined {
  if (status.freeBytes < thresholds.minFreeBytes) return `only ${(status.freeBytes / 1000 ** 3).toFixed(1)} GB free on the storage root (minimum ${(thresholds.minFreeBytes / 1000 ** 3).toFixed(0)} GB)`;
  if (status.usedFraction > thresholds.maxUsedFraction) return `storage root ${(status.usedFraction * 100).toFixed(0)} % used (maximum ${(thresholds.maxUsedFraction * 100).toFixed(0)} %)`;
  return undefined;
}

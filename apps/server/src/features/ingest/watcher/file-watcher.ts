import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../../../log/logger.js';
import { classifyDropPath, type DropCandidate, type DropDirectories } from './drop-dirs.js';
import { diskStatus, gateDecision, lowDiskReason, observe, takeSnapshot, DISK_THRESHOLDS, type DiskStatus, type FileSnapshot, type GateState, type StatFs } from './stability.js';
import { nameTag, type HandoffResult, type WatcherHandoff } from './watcher-handoff.js';

export interface FileWatcherOptions {
  readonly dirs: DropDirectories;
  readonly handoff: WatcherHandoff;
  readonly logger: Logger;
  /** `WATCHER_STABLE_AFTER_SECONDS` in ms. */
  readonly stableAfterMs: number;
  /** `WATCHER_POLL_INTERVAL_SECONDS` in ms. */
  readonly pollMs: number;
  /** Polling instead of inotify (network shares): `WATCHER_USE_POLLING`. */
  readonly usePolling: boolean;
  /** Where free space is checked: the storage root. */
  readonly storageRoot: string;
  readonly rescanMs?: number;
  readonly healthMs?: number;
  readonly maxWaitMs?: number;
  readonly statfs?: StatFs;
  readonly diskThresholds?: { minFreeBytes: number; maxUsedFraction: number };
}

export interface WatcherRunSummary {
  readonly ingested: number;
  readonly reused: number;
  readonly quarantined: number;
  readonly deferred: number;
  /** Deferred for a reason an operator must fix (no center, disk, refused file types). */
  readonly problems: number;
  readonly unstable: number;
}

interface Tracked {
  readonly candidate: DropCandidate;
  gate: GateState;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The watcher process (§3.5/§3.6): created and moved-in files of the three drop
 * directories (chokidar, not recursive) plus a full rescan at start and every 10 s;
 * each candidate passes the stability gate, then one worker hands files off one at
 * a time. A health line every 10 s reports the counters and the disk; a dead
 * observer is restarted, and while the disk is low new hand-offs wait. The in-memory
 * sets only de-duplicate events: a restarted process finds everything again.
 */
export class FileWatcher {
  readonly #o: FileWatcherOptions;
  readonly #tracked = new Map<string, Tracked>();
  readonly #queue: { candidate: DropCandidate; snapshot: FileSnapshot }[] = [];
  readonly #inFlight = new Set<string>();
  readonly #reported = new Set<string>();
  #counts = { ingested: 0, reused: 0, quarantined: 0, deferred: 0, problems: 0, unstable: 0 };
  #observer: FSWatcher | undefined;
  #observerFailed = false;
  #timers: NodeJS.Timeout[] = [];
  #draining: Promise<void> | undefined;
  #stopped = false;
  #lowDisk: string | undefined;
  #gaveUp = new Set<string>();

  constructor(options: FileWatcherOptions) {
    this.#o = options;
  }

  get #gateOptions() {
    return { stableAfterMs: this.#o.stableAfterMs, pollMs: this.#o.pollMs, maxWaitMs: this.#o.maxWaitMs ?? 900_000 };
  }

  /** Resident mode: watch, rescan and report until `stop()`. */
  async start(): Promise<void> {
    this.#startObserver();
    await this.#checkDisk();
    await this.rescan();
    this.#timers.push(setInterval(() => void this.rescan().catch((error: unknown) => this.#o.logger.error({ err: (error as Error).message }, 'rescan failed')), this.#o.rescanMs ?? 10_000));
    this.#timers.push(setInterval(() => void this.#health(), this.#o.healthMs ?? 10_000));
    await this.#health();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const t of this.#tracked.values()) clearTimeout(t.timer);
    this.#tracked.clear();
    await this.#observer?.close();
    await this.#draining;
  }

  /**
   * `--once`: one rescan, every candidate through the gate and handed off, then
   * return. A file that never settles within the maximum wait is left in place.
   */
  async runOnce(): Promise<WatcherRunSummary> {
    await this.#checkDisk();
    await this.rescan();
    while (this.#tracked.size > 0 || this.#queue.length > 0 || this.#draining) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.#draining;
    }
    await this.#health();
    return { ...this.#counts };
  }

  get summary(): WatcherRunSummary {
    return { ...this.#counts };
  }

  /** Lists the three drop directories and considers every entry (the periodic safety net for missed events). */
  async rescan(): Promise<void> {
    for (const dir of [this.#o.dirs.video, this.#o.dirs.report, this.#o.dirs.preanonymized]) {
      const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
        this.#o.logger.error({ dir, code: error.code }, 'drop directory unreadable');
        return [] as string[];
      });
      for (const name of names) this.consider(join(dir, name));
    }
  }

  /** An event or rescan saw `path`: start its stability gate unless it is already tracked or being handed off. */
  consider(path: string): void {
    if (this.#stopped || this.#tracked.has(path) || this.#inFlight.has(path) || this.#queue.some((q) => q.candidate.path === path)) return;
    const candidate = classifyDropPath(path, this.#o.dirs);
    if (!candidate) return;
    const tracked: Tracked = { candidate, gate: undefined as unknown as GateState, timer: undefined };
    this.#tracked.set(path, tracked);
    void this.#check(tracked);
  }

  async #check(tracked: Tracked): Promise<void> {
    const { path } = tracked.candidate;
    if (this.#stopped) return;
    let result;
    try {
      result = await takeSnapshot(path);
    } catch (error) {
      this.#o.logger.warn({ file: nameTag(path), code: (error as NodeJS.ErrnoException).code }, 'cannot stat dropped file');
      this.#tracked.delete(path);
      return;
    }
    if (result.kind === 'missing') {
      this.#tracked.delete(path);
      return;
    }
    if (result.kind === 'refused') {
      this.#tracked.delete(path);
      this.#reportOnce(`refused:${path}`, () => this.#o.logger.warn({ file: nameTag(path), reason: result.reason }, 'dropped entry refused: only regular files are ingested (symbolic links and special files stay untouched)'));
      return;
    }
    const now = Date.now();
    tracked.gate = observe(tracked.gate, result.snapshot, now);
    const decision = gateDecision(tracked.gate, now, this.#gateOptions);
    if (decision.kind === 'ready') {
      this.#tracked.delete(path);
      this.#gaveUp.delete(path);
      this.#queue.push({ candidate: tracked.candidate, snapshot: tracked.gate.snapshot });
      this.#drain();
      return;
    }
    if (decision.kind === 'gave_up') {
      this.#tracked.delete(path);
      this.#counts.unstable += 1;
      if (!this.#gaveUp.has(path)) this.#o.logger.warn({ file: nameTag(path) }, 'dropped file keeps changing (or stays empty); left in place until a later rescan');
      this.#gaveUp.add(path);
      return;
    }
    tracked.timer = setTimeout(() => void this.#check(tracked), decision.nextCheckMs);
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = (async () => {
      while (this.#queue.length > 0 && !this.#stopped) {
        const item = this.#queue.shift()!;
        if (this.#lowDisk !== undefined) await this.#checkDisk();
        if (this.#lowDisk !== undefined) {
          this.#counts.deferred += 1;
          continue;
        }
        this.#inFlight.add(item.candidate.path);
        try {
          this.#record(item.candidate, await this.#o.handoff.handle(item.candidate, item.snapshot));
        } catch (error) {
          this.#counts.deferred += 1;
          this.#counts.problems += 1;
          this.#o.logger.error({ file: nameTag(item.candidate.path), err: (error as Error).message }, 'hand-off failed; the file stays for the next rescan');
        } finally {
          this.#inFlight.delete(item.candidate.path);
        }
      }
    })().finally(() => {
      this.#draining = undefined;
    });
  }

  #record(candidate: DropCandidate, result: HandoffResult): void {
    const file = nameTag(candidate.path);
    switch (result.kind) {
      case 'ingested':
        if (result.created) this.#counts.ingested += 1;
        else this.#counts.reused += 1;
        this.#o.logger.info({ file, kind: candidate.kind, uploadJobId: result.uploadJobId, created: result.created }, result.created ? 'dropped file ingested' : 'dropped file matched an existing upload job; drop file removed');
        return;
      case 'quarantined':
        this.#counts.quarantined += 1;
        this.#o.logger.warn({ file, kind: candidate.kind, uploadJobId: result.uploadJobId, reason: result.reason }, 'dropped file quarantined');
        return;
      case 'deferred':
        this.#counts.deferred += 1;
        if (result.problem) this.#counts.problems += 1;
        this.#reportOnce(`deferred:${candidate.path}:${result.reason}`, () => this.#o.logger.warn({ file, reason: result.reason }, 'hand-off deferred; the file stays for the next rescan'));
        return;
      case 'gone':
        return;
    }
  }

  #reportOnce(key: string, log: () => void): void {
    if (this.#reported.has(key)) return;
    if (this.#reported.size > 10_000) this.#reported.clear();
    this.#reported.add(key);
    log();
  }

  #startObserver(): void {
    this.#observerFailed = false;
    const observer = watch([this.#o.dirs.video, this.#o.dirs.report, this.#o.dirs.preanonymized], {
      depth: 0,
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: this.#o.usePolling,
      interval: 1000,
      binaryInterval: 1000,
      ignorePermissionErrors: true,
    });
    // `add` covers both a new file and one renamed into the directory; change events are not needed.
    observer.on('add', (path) => this.consider(path));
    observer.on('error', (error) => {
      this.#observerFailed = true;
      this.#o.logger.error({ err: (error as Error).message }, 'directory observer failed; restarting at the next health check');
    });
    this.#observer = observer;
  }

  async #checkDisk(): Promise<DiskStatus | undefined> {
    const status = await (this.#o.statfs ?? diskStatus)(this.#o.storageRoot).catch(() => undefined);
    const reason = status ? lowDiskReason(status, this.#o.diskThresholds ?? DISK_THRESHOLDS) : undefined;
    if (reason !== undefined && this.#lowDisk === undefined) this.#o.logger.warn({ reason }, 'low disk space: new hand-offs wait until there is room');
    if (reason === undefined && this.#lowDisk !== undefined) this.#o.logger.info('disk space recovered: hand-offs resume');
    this.#lowDisk = reason;
    return status;
  }

  async #health(): Promise<void> {
    if (this.#observer && this.#observerFailed && !this.#stopped) {
      await this.#observer.close().catch(() => undefined);
      this.#startObserver();
      this.#o.logger.warn('directory observer restarted');
    }
    const disk = await this.#checkDisk();
    this.#o.logger.info(
      {
        event: 'watcher_health',
        observer: this.#observer ? (this.#observerFailed ? 'failed' : 'running') : 'none',
        tracked: this.#tracked.size,
        queued: this.#queue.length,
        in_flight: this.#inFlight.size,
        ...this.#counts,
        disk_free_bytes: disk?.freeBytes ?? null,
        disk_used_percent: disk ? Math.round(disk.usedFraction * 1000) / 10 : null,
        disk_low: this.#lowDisk ?? null,
      },
      'watcher health',
    );
  }
}

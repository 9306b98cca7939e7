import { randomUUID } from 'node:crypto';
import { lstat, open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { atomicWriteStream } from './atomic-write.js';
import { LxencError } from './errors.js';
import { inspectLxencFile, readFully, unlockLxencFile } from './lxenc-file.js';
import { LXENC_MAGIC } from './lxenc-format.js';
import { decryptRecords, encryptStream } from './lxenc-stream.js';
import { walkManagedFiles } from './managed-walk.js';
import type { ManagedFile, SkipReason } from './managed-walk.js';
import type { StorageService } from './storage-service.js';

const COPY_HIGH_WATER_MARK = 1024 * 1024;
/** Temp files of `atomicWriteStream` (`.<name>.<16 hex>.tmp`); left behind only by a killed writer. */
const ATOMIC_TEMP_NAME = /^\..+\.[0-9a-f]{16}\.tmp$/;

/** The file changed (or vanished) while it was being rewritten; it was left as the other writer made it. */
export class ConcurrentChangeError extends Error {
  override readonly name = 'ConcurrentChangeError';
  constructor(readonly relativePath: string) {
    super(`${relativePath} changed while it was being rewritten; left untouched, run the command again`);
  }
}

/** A failed `verify-encrypted-storage` probe. */
export class StorageVerificationError extends Error {
  override readonly name = 'StorageVerificationError';
}

/** Resolves an optional path prefix (relative to the storage root) to an absolute start path inside it. */
async function startOf(storage: StorageService, prefix: string | undefined): Promise<string> {
  const trimmed = (prefix ?? '').replace(/\/+$/, '');
  return trimmed === '' || trimmed === '.' ? storage.root : storage.resolve(trimmed);
}

async function hasMagic(handle: FileHandle): Promise<boolean> {
  return (await readFully(handle, 0, LXENC_MAGIC.length)).equals(LXENC_MAGIC);
}

function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Replaces `file` atomically with what `produce` writes, keeping its permission bits and owner, and
 * only if nobody changed the file meanwhile (otherwise `ConcurrentChangeError`, original untouched).
 */
async function rewriteInPlace(file: ManagedFile, produce: (out: FileHandle) => Promise<unknown>, beforeReplace?: (relativePath: string) => Promise<void>): Promise<void> {
  const ownUid = process.getuid?.();
  const ownGid = process.getgid?.();
  const keepOwner = ownUid !== undefined && (file.stat.uid !== ownUid || file.stat.gid !== ownGid);
  await atomicWriteStream(file.absolutePath, produce, {
    mode: file.stat.mode & 0o777,
    ...(keepOwner ? { owner: { uid: file.stat.uid, gid: file.stat.gid } } : {}),
    beforeRename: async () => {
      await beforeReplace?.(file.relativePath);
      const now = await lstat(file.absolutePath).catch(() => undefined);
      if (now === undefined || !sameFile(now, file.stat)) throw new ConcurrentChangeError(file.relativePath);
    },
  });
}

/** Opens a walked file and checks it is still the inode the walk saw (not swapped for a link or another file). */
async function openWalked(file: ManagedFile): Promise<FileHandle> {
  const handle = await open(file.absolutePath, 'r');
  const opened = await handle.stat();
  if (opened.ino !== file.stat.ino || opened.dev !== file.stat.dev) {
    await handle.close();
    throw new ConcurrentChangeError(file.relativePath);
  }
  return handle;
}

export interface RepairOptions {
  /** Start below the storage root (must stay inside it); default the whole root. */
  readonly pathPrefix?: string;
  /** Only list what would be encrypted. */
  readonly dryRun?: boolean;
  /** Absolute roots that are plaintext on purpose (the configured streamable roots). */
  readonly excludeRoots?: readonly string[];
  readonly onRepaired?: (relativePath: string, plaintextBytes: number) => void;
  readonly onSkipped?: (relativePath: string, reason: SkipReason) => void;
}

export interface RepairSummary {
  readonly repaired: number;
  readonly alreadyEncrypted: number;
  readonly skipped: number;
  readonly root: string;
}

/**
 * `repair-managed-payloads`: encrypts accidentally plaintext managed payloads in place (atomically,
 * keeping mode and owner). Every encrypted file met on the way is validated by computing its
 * plaintext size; a corrupt one aborts with its `LxencError`, since continuing would hide damage.
 */
export async function repairManagedPayloads(storage: StorageService, options: RepairOptions = {}): Promise<RepairSummary> {
  const start = await startOf(storage, options.pathPrefix);
  let repaired = 0;
  let alreadyEncrypted = 0;
  let skipped = 0;
  const walk = walkManagedFiles(storage.root, start, {
    scope: 'managed',
    excludeRoots: options.excludeRoots ?? [],
    onSkip: (path, reason) => {
      skipped += 1;
      options.onSkipped?.(path, reason);
    },
  });
  for await (const file of walk) {
    const handle = await openWalked(file);
    try {
      if (await hasMagic(handle)) {
        await inspectLxencFile(handle, file.absolutePath);
        alreadyEncrypted += 1;
        continue;
      }
      if (!options.dryRun) {
        await rewriteInPlace(file, (out) =>
          encryptStream(handle.createReadStream({ start: 0, highWaterMark: COPY_HIGH_WATER_MARK, autoClose: false }), out, storage.keyring, {
            chunkSize: storage.chunkSize,
          }),
        );
      }
      repaired += 1;
      options.onRepaired?.(file.relativePath, file.stat.size);
    } finally {
      await handle.close();
    }
  }
  return { repaired, alreadyEncrypted, skipped, root: start };
}

export type RotationEvent =
  | { readonly kind: 'rotated' | 'would-rotate'; readonly relativePath: string; readonly fromKeyId: string }
  | { readonly kind: 'failed'; readonly relativePath: string; readonly reason: string }
  | { readonly kind: 'changed'; readonly relativePath: string };

export interface RotationOptions {
  readonly pathPrefix?: string;
  readonly dryRun?: boolean;
  /** Pause after each rewritten file, to bound the I/O load on a live system. */
  readonly throttleMs?: number;
  readonly onEvent?: (event: RotationEvent) => void;
  /** Test/diagnostic hook: runs when a file's replacement is complete, right before the change check and rename. */
  readonly beforeReplace?: (relativePath: string) => Promise<void>;
}

export interface RotationSummary {
  readonly rotated: number;
  readonly alreadyActive: number;
  readonly plaintext: number;
  /** Files that changed while being rewritten (left as they were; a re-run picks them up). */
  readonly changed: number;
  /** Files no keyring key opens, or corrupt files: they keep their content, the run reports failure. */
  readonly failed: number;
  /** Temp files of an earlier interrupted writer (ciphertext only; safe to delete when no writer runs). */
  readonly staleTempFiles: number;
  readonly activeKeyId: string;
  readonly root: string;
}

/**
 * `storage rotate-key`: re-encrypts every LXENC01 file below the root that a retiring key still
 * opens with a fresh DEK under the active key, one atomic replacement per file. Interrupting it at
 * any moment leaves each file either old (still readable through the retiring key) or new; a re-run
 * skips files already under the active key. The chunk size of each file is kept.
 */
export async function rotateStorageKeys(storage: StorageService, options: RotationOptions = {}): Promise<RotationSummary> {
  const start = await startOf(storage, options.pathPrefix);
  const { keyring } = storage;
  const counts = { rotated: 0, alreadyActive: 0, plaintext: 0, changed: 0, failed: 0 };
  let staleTempFiles = 0;
  const walk = walkManagedFiles(storage.root, start, {
    scope: 'everything',
    onSkip: (path) => {
      if (ATOMIC_TEMP_NAME.test(path.slice(path.lastIndexOf('/') + 1))) staleTempFiles += 1;
    },
  });
  for await (const file of walk) {
    let handle: FileHandle | undefined;
    try {
      handle = await openWalked(file);
      if (!(await hasMagic(handle))) {
        counts.plaintext += 1;
        continue;
      }
      const unlocked = await unlockLxencFile(handle, keyring, file.absolutePath);
      if (unlocked.keyId === keyring.active.id) {
        counts.alreadyActive += 1;
        continue;
      }
      if (options.dryRun) {
        counts.rotated += 1;
        options.onEvent?.({ kind: 'would-rotate', relativePath: file.relativePath, fromKeyId: unlocked.keyId });
        continue;
      }
      const source = handle;
      await rewriteInPlace(file, (out) =>
        encryptStream(decryptRecords(source, unlocked, file.absolutePath), out, keyring, { chunkSize: unlocked.header.chunkSize }),
        options.beforeReplace,
      );
      counts.rotated += 1;
      options.onEvent?.({ kind: 'rotated', relativePath: file.relativePath, fromKeyId: unlocked.keyId });
      if ((options.throttleMs ?? 0) > 0) await sleep(options.throttleMs);
    } catch (error) {
      if (error instanceof ConcurrentChangeError) {
        counts.changed += 1;
        options.onEvent?.({ kind: 'changed', relativePath: file.relativePath });
      } else if (error instanceof LxencError) {
        counts.failed += 1;
        options.onEvent?.({ kind: 'failed', relativePath: file.relativePath, reason: `${error.code}: ${error.message}` });
      } else {
        throw error;
      }
    } finally {
      await handle?.close();
    }
  }
  return { ...counts, staleTempFiles, activeKeyId: keyring.active.id, root: start };
}

export interface VerifyOptions {
  readonly pathPrefix?: string;
  readonly keep?: boolean;
}

export interface VerifyResult {
  readonly relativePath: string;
  readonly absolutePath: string;
  readonly kept: boolean;
}

/**
 * `verify-encrypted-storage`: writes a probe through the storage, reads it back, and checks on the
 * raw file that it is LXENC01 under the active key and that the plaintext appears nowhere in it.
 * Throws `StorageVerificationError` (or the underlying I/O / LXENC01 error). The probe is removed
 * unless `keep`, also when a check fails.
 */
export async function verifyEncryptedStorage(storage: StorageService, options: VerifyOptions = {}): Promise<VerifyResult> {
  const prefix = (options.pathPrefix ?? '_health/encryption').replace(/^\/+|\/+$/g, '');
  const id = randomUUID();
  const name = `${prefix === '' ? '' : `${prefix}/`}probe-${id}.txt`;
  const plaintext = Buffer.from(`lx-annotate-encryption-probe:${id}`, 'utf8');
  const stored = await storage.write(name, Readable.from([plaintext]));
  const absolutePath = await storage.resolve(stored.relativePath);
  let kept = false;
  try {
    const readBack = Buffer.concat(await (await storage.read(stored.relativePath)).toArray());
    if (!readBack.equals(plaintext)) throw new StorageVerificationError(`the probe ${stored.relativePath} did not read back as written`);
    const raw = await readFile(absolutePath);
    if (!raw.subarray(0, LXENC_MAGIC.length).equals(LXENC_MAGIC)) throw new StorageVerificationError(`the probe ${absolutePath} on disk does not start with the LXENC01 magic`);
    if (raw.includes(plaintext) || raw.includes(Buffer.from(id))) throw new StorageVerificationError(`the probe ${absolutePath} on disk contains its plaintext`);
    const keyId = await storage.keyIdOf(stored.relativePath);
    if (keyId !== storage.keyring.active.id) throw new StorageVerificationError(`the probe ${absolutePath} is not under the active key`);
    kept = options.keep === true;
    return { relativePath: stored.relativePath, absolutePath, kept };
  } finally {
    if (!kept) await storage.delete(stored.relativePath);
  }
}

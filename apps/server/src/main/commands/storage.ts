import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import {
  LxencError,
  StorageKeyError,
  StoragePathError,
  StorageVerificationError,
  repairManagedPayloads,
  rotateStorageKeys,
  verifyEncryptedStorage,
} from '../../adapters/storage/index.js';
import type { RotationEvent, StorageService } from '../../adapters/storage/index.js';
import { ConfigError, type Settings } from '../../config/index.js';
import { ensureRuntimeDirectories } from '../../features/admin/index.js';
import { composeStorage } from '../compose.js';
import { EXIT, type CliIo, type Command } from './command.js';

/** The storage service, or a ConfigError (exit 2) naming the key variables when no usable key is configured. */
async function openStorage(settings: Settings): Promise<StorageService> {
  try {
    return await composeStorage(settings).service();
  } catch (error) {
    if (error instanceof StorageKeyError) throw new ConfigError(error.variable, error.problem, error.accepted);
    throw error;
  }
}

async function requireStorageDir(settings: Settings, io: CliIo, command: string): Promise<boolean> {
  const dir = settings.paths.storageDir;
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) io.err(`lx-annotate ${command}: the storage directory ${dir} does not exist (STORAGE_DIR / data root)\n`);
  return isDir;
}

/** Operator-facing message for the expected failures; anything else propagates to the CLI's handler. */
function describeFailure(error: unknown): string | undefined {
  if (error instanceof LxencError) return `${error.message} (${error.code})`;
  if (error instanceof StoragePathError || error instanceof StorageVerificationError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return (error as Error).message;
  return undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export const verifyEncryptedStorageCommand: Command = {
  name: 'verify-encrypted-storage',
  summary: 'Write, read back and inspect a probe file to prove that storage encrypts at rest',
  usage: '[--path-prefix _health/encryption] [--keep]',
  options: { 'path-prefix': { type: 'string' }, keep: { type: 'boolean' } },
  async run({ values }, io) {
    const { settings } = io.loadConfig();
    const storage = await openStorage(settings);
    await ensureRuntimeDirectories(settings);
    try {
      const result = await verifyEncryptedStorage(storage, { pathPrefix: text(values['path-prefix']) ?? '_health/encryption', keep: values.keep === true });
      io.out(`Encrypted storage verified for ${result.relativePath} at ${result.absolutePath}${result.kept ? ' (probe kept)' : ''}\n`);
      return EXIT.ok;
    } catch (error) {
      const message = describeFailure(error);
      if (message === undefined) throw error;
      io.err(`lx-annotate verify-encrypted-storage: FAILED: ${message}\n`);
      return EXIT.failed;
    }
  },
};

export const repairManagedPayloadsCommand: Command = {
  name: 'repair-managed-payloads',
  summary: 'Encrypt managed payloads that are plaintext on disk, in place; validate encrypted ones',
  usage: '[--path-prefix P] [--dry-run]',
  options: { 'path-prefix': { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run({ values }, io) {
    const { settings } = io.loadConfig();
    const storage = await openStorage(settings);
    if (!(await requireStorageDir(settings, io, 'repair-managed-payloads'))) return EXIT.failed;
    const dryRun = values['dry-run'] === true;
    const { streamableRoot, streamableRawRoot, streamableProcessedRoot } = settings.paths;
    try {
      const summary = await repairManagedPayloads(storage, {
        pathPrefix: text(values['path-prefix']),
        dryRun,
        excludeRoots: [streamableRoot, streamableRawRoot, streamableProcessedRoot],
        onRepaired: (path, bytes) => io.out(`${dryRun ? 'would encrypt' : 'encrypted'} ${path} (${bytes} bytes)\n`),
      });
      if (dryRun) io.out('dry run: nothing was changed\n');
      io.out(`repaired=${summary.repaired} already_encrypted=${summary.alreadyEncrypted} skipped=${summary.skipped} root=${summary.root}\n`);
      return EXIT.ok;
    } catch (error) {
      const message = describeFailure(error);
      if (message === undefined) throw error;
      io.err(`lx-annotate repair-managed-payloads: aborted: ${message}\nFiles repaired before this point stay encrypted; inspect or restore the file named above, then run the command again.\n`);
      return EXIT.failed;
    }
  },
};

function rotationLine(event: RotationEvent, activeKeyId: string): string {
  switch (event.kind) {
    case 'rotated':
      return `rotated ${event.relativePath} (key ${event.fromKeyId} -> ${activeKeyId})\n`;
    case 'would-rotate':
      return `would rotate ${event.relativePath} (key ${event.fromKeyId} -> ${activeKeyId})\n`;
    case 'changed':
      return `changed while rotating, left as is: ${event.relativePath}\n`;
    case 'failed':
      return `FAILED ${event.relativePath}: ${event.reason}\n`;
  }
}

async function rotateKey(settings: Settings, values: Record<string, unknown>, io: CliIo): Promise<number> {
  const throttleText = text(values['throttle-ms']);
  const throttleMs = throttleText === undefined ? 0 : Number(throttleText);
  if (!Number.isInteger(throttleMs) || throttleMs < 0 || throttleMs > 60_000) {
    io.err('lx-annotate storage rotate-key: --throttle-ms takes a whole number of milliseconds from 0 to 60000\n');
    return EXIT.usage;
  }
  const storage = await openStorage(settings);
  if (!(await requireStorageDir(settings, io, 'storage rotate-key'))) return EXIT.failed;
  const { keyring } = storage;
  const dryRun = values['dry-run'] === true;
  io.out(`active key ${keyring.active.id}; retiring keys: ${keyring.retiring.map((k) => k.id).join(', ') || '(none)'}\n`);
  const summary = await rotateStorageKeys(storage, {
    pathPrefix: text(values['path-prefix']),
    dryRun,
    throttleMs,
    onEvent: (event) => (event.kind === 'failed' || event.kind === 'changed' ? io.err : io.out)(rotationLine(event, keyring.active.id)),
  });
  if (dryRun) io.out('dry run: nothing was changed\n');
  io.out(
    `rotated=${summary.rotated} already_active=${summary.alreadyActive} plaintext=${summary.plaintext} changed=${summary.changed} failed=${summary.failed} stale_temp=${summary.staleTempFiles} active_key=${summary.activeKeyId} root=${summary.root}\n`,
  );
  if (summary.staleTempFiles > 0) io.out(`note: ${summary.staleTempFiles} temp file(s) of an interrupted writer remain (ciphertext only); delete them when no lx-annotate process is writing\n`);
  if (summary.failed > 0 || summary.changed > 0) {
    io.err('lx-annotate storage rotate-key: not complete; keep every retiring key in the keyring, resolve the files above and run it again\n');
    return EXIT.failed;
  }
  if (!dryRun) io.out('every encrypted file is under the active key; retiring keys may now be removed from the keyring\n');
  return EXIT.ok;
}

async function cat(settings: Settings, path: string | undefined, io: CliIo): Promise<number> {
  if (path === undefined) {
    io.err('lx-annotate storage cat: a path relative to the storage root is required\n');
    return EXIT.usage;
  }
  const storage = await openStorage(settings);
  try {
    await pipeline(await storage.read(path), process.stdout, { end: false });
    return EXIT.ok;
  } catch (error) {
    const message = describeFailure(error);
    if (message === undefined) throw error;
    io.err(`lx-annotate storage cat: ${message}\n`);
    return EXIT.failed;
  }
}

export const storageCommand: Command = {
  name: 'storage',
  summary: 'Encrypted storage tools: cat <path> (decrypt to stdout), rotate-key (re-encrypt under the active key)',
  usage: 'cat <relative path>\nlx-annotate storage rotate-key [--dry-run] [--path-prefix P] [--throttle-ms N]',
  options: { 'dry-run': { type: 'boolean' }, 'path-prefix': { type: 'string' }, 'throttle-ms': { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }, io) {
    const [sub, ...rest] = positionals;
    if (sub === 'cat' && rest.length <= 1) return cat(io.loadConfig().settings, rest[0], io);
    if (sub === 'rotate-key' && rest.length === 0) return rotateKey(io.loadConfig().settings, values, io);
    io.err(`lx-annotate storage: expected "cat <relative path>" or "rotate-key [--dry-run] [--path-prefix P] [--throttle-ms N]"\n`);
    return EXIT.usage;
  },
};

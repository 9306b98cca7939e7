import { resolve } from 'node:path';
import { schemaStatus } from '../../db/index.js';
import {
  BackupInvalid,
  createBackup,
  DatabaseToolError,
  migrateDataDir,
  MigrationRefused,
  OperationRefused,
  restoreBackup,
  verifyBackup,
  type ToolEnvironment,
} from '../../features/admin/index.js';
import { compose, composeStorage } from '../compose.js';
import { VERSION } from '../version.js';
import { EXIT, type CliIo, type Command } from './command.js';

/** The few variables the PostgreSQL client tools need from our own environment. */
function toolEnvironment(): ToolEnvironment {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LC_ALL: 'C' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return env;
}

/** Operator errors end in one line on stderr and exit 1; anything else is a bug and propagates. */
function expected(error: unknown): boolean {
  return error instanceof MigrationRefused || error instanceof OperationRefused || error instanceof BackupInvalid || error instanceof DatabaseToolError;
}

function onlyPositional(positionals: string[], io: CliIo, command: string, what: string): string | undefined {
  if (positionals.length !== 1) {
    io.err(`lx-annotate ${command}: expected exactly one argument, ${what}\n`);
    return undefined;
  }
  return resolve(positionals[0] as string);
}

export const migrateDataDirCommand: Command = {
  name: 'migrate-data-dir',
  summary: 'Merge a legacy repo-local data/ tree into the protected data root (non-destructive; --full moves it)',
  usage: '<legacy data root> [--full] [--dry-run] [--manifest-path P]',
  options: { full: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'manifest-path': { type: 'string' } },
  allowPositionals: true,
  async run({ values, positionals }, io) {
    const source = onlyPositional(positionals, io, 'migrate-data-dir', 'the legacy data root');
    if (source === undefined) return EXIT.usage;
    const { settings } = io.loadConfig();
    const storage = composeStorage(settings);
    try {
      const result = await migrateDataDir({
        sourceRoot: source,
        targetRoot: settings.paths.dataRoot,
        mode: values.full ? 'full' : 'merge',
        dryRun: values['dry-run'] === true,
        ...(typeof values['manifest-path'] === 'string' ? { manifestPath: resolve(values['manifest-path']) } : {}),
        keyring: () => storage.keyring(),
        log: (line) => io.out(`${line}\n`),
      });
      const encrypted = result.migrated.filter((m) => m.encrypted).length;
      const verb = result.dryRun ? 'would copy' : 'copied';
      io.out(
        `migrate-data-dir: mode=${result.mode}${result.dryRun ? ' (dry run, nothing written)' : ''} ${verb}=${result.migrated.length} encrypted=${encrypted} ` +
          `skipped=${result.skipped.length} bytes=${result.bytesToCopy} env_file=${result.envFile.action} target=${result.targetRoot}` +
          `${result.sourceBackup ? ` source_backup=${result.sourceBackup}` : ''}${result.manifestPath ? ` manifest=${result.manifestPath}` : ''}\n`,
      );
      return EXIT.ok;
    } catch (error) {
      if (!expected(error)) throw error;
      io.err(`lx-annotate migrate-data-dir: ${(error as Error).message}\n`);
      return EXIT.failed;
    }
  },
};

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Consistent snapshot of the database and the storage tree, with a verified manifest',
  usage: '<new empty directory> [--database-only]',
  options: { 'database-only': { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }, io) {
    const target = onlyPositional(positionals, io, 'backup', 'the backup directory');
    if (target === undefined) return EXIT.usage;
    const { settings } = io.loadConfig();
    const started = Date.now();
    try {
      const summary = await createBackup({
        settings,
        targetDir: target,
        databaseOnly: values['database-only'] === true,
        version: VERSION,
        toolEnv: toolEnvironment(),
        log: (line) => io.out(`${line}\n`),
      });
      io.out(`backup verified: ${summary.dir} (${summary.files} files, ${summary.bytes} bytes, ${((Date.now() - started) / 1000).toFixed(1)} s); the master key is not part of it\n`);
      return EXIT.ok;
    } catch (error) {
      if (!expected(error)) throw error;
      io.err(`lx-annotate backup: ${(error as Error).message}\n`);
      return EXIT.failed;
    }
  },
};

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Verify a backup, then restore database and storage atomically (stop the services first)',
  usage: '<backup directory> [--verify-only] [--force]',
  options: { force: { type: 'boolean' }, 'verify-only': { type: 'boolean' } },
  allowPositionals: true,
  async run({ values, positionals }, io) {
    const dir = onlyPositional(positionals, io, 'restore', 'the backup directory');
    if (dir === undefined) return EXIT.usage;
    const config = io.loadConfig();
    try {
      if (values['verify-only']) {
        const manifest = await verifyBackup(dir);
        io.out(`backup verified: ${dir} (${manifest.engine}, version ${manifest.version}, created ${manifest.created_at}, ${1 + (manifest.storage?.files.length ?? 0)} files)\n`);
        return EXIT.ok;
      }
      // Asked over a short-lived connection, closed before the database is replaced.
      const runtime = compose(config, { name: 'lx-annotate-restore' });
      let databaseInUse: boolean;
      try {
        databaseInUse = (await schemaStatus(runtime.db)).applied.length > 0;
      } finally {
        await runtime.close();
      }
      const summary = await restoreBackup({
        settings: config.settings,
        backupDir: dir,
        force: values.force === true,
        databaseInUse,
        toolEnv: toolEnvironment(),
        log: (line) => io.out(`${line}\n`),
      });
      io.out(
        `restored ${dir} (${summary.manifest.engine}, version ${summary.manifest.version}, created ${summary.manifest.created_at})` +
          `${summary.movedAside.length > 0 ? `; previous data kept at ${summary.movedAside.join(', ')}` : ''}\n` +
          'next: lx-annotate migrate (if this release is newer than the backup), lx-annotate check, then start the services\n',
      );
      return EXIT.ok;
    } catch (error) {
      if (!expected(error)) throw error;
      io.err(`lx-annotate restore: ${(error as Error).message}\n`);
      return EXIT.failed;
    }
  },
};

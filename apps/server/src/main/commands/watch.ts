import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { schemaStatus } from '../../db/index.js';
import { ensureRuntimeDirectories } from '../../features/admin/index.js';
import { checkDropDirectories, FileWatcher, WatcherHandoff } from '../../features/ingest/index.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { compose } from '../compose.js';
import { EXIT, type Command } from './command.js';

/** The original's level names (Python logging) and pino's. */
const LEVELS: Readonly<Record<string, string>> = { debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', fatal: 'fatal', trace: 'trace' };

/** JSON lines to stdout (journald) and to `<root>/logs/file_watcher.log`. */
function watcherLogger(level: string, logsDir: string): Logger {
  mkdirSync(logsDir, { recursive: true, mode: 0o750 });
  const file = pino.destination({ dest: join(logsDir, 'file_watcher.log'), append: true, mkdir: true, sync: false });
  const streams = pino.multistream([
    { level: 'trace', stream: process.stdout },
    { level: 'trace', stream: file },
  ]);
  return createLogger({ level, name: 'lx-annotate-watcher', destination: streams });
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Watch the import drop directories and hand dropped files to the ingest service (the watcher role)',
  usage: '[--once] [--dry-run] [--log-level LEVEL]   (--process-existing-once = --once; --iterations is accepted and ignored)',
  options: {
    once: { type: 'boolean' },
    'process-existing-once': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'log-level': { type: 'string' },
    iterations: { type: 'string' },
  },
  async run({ values }, io) {
    const config = io.loadConfig();
    const { settings } = config;
    const requested = String(values['log-level'] ?? settings.watcher.logLevel).toLowerCase();
    const level = LEVELS[requested];
    if (level === undefined) {
      io.err(`lx-annotate watch: --log-level takes one of ${Object.keys(LEVELS).join(', ')}\n`);
      return EXIT.usage;
    }
    // The drop directories are created eagerly, so producers never meet a missing one.
    await ensureRuntimeDirectories(settings);
    const logger = watcherLogger(level, settings.paths.logsDir);
    const dirs = settings.paths.importDirs;
    const problems = await checkDropDirectories(dirs);
    for (const p of problems) io.err(`lx-annotate watch: drop directory ${p.directory} ${p.problem}\n`);
    if (problems.length > 0) return EXIT.failed;
    if (values['dry-run']) {
      logger.info({ dirs: [dirs.video, dirs.report, dirs.preanonymized], stableAfterSeconds: settings.watcher.stableAfterSeconds, pollIntervalSeconds: settings.watcher.pollIntervalSeconds, usePolling: settings.watcher.usePolling }, 'dry run: configuration and drop directories are valid; exiting without touching the database');
      logger.flush();
      return EXIT.ok;
    }

    const runtime = compose(config, { logger });
    try {
      const status = await schemaStatus(runtime.db).catch((error: unknown) => {
        io.err(`lx-annotate watch: database unreachable: ${(error as Error).message}\n`);
        return undefined;
      });
      if (!status) return EXIT.failed;
      if (status.pending.length > 0 || status.unknown.length > 0) {
        io.err(status.pending.length > 0 ? `lx-annotate watch: schema is behind (pending ${status.pending.join(', ')}); run lx-annotate migrate\n` : `lx-annotate watch: schema is newer than this release (${status.unknown.join(', ')})\n`);
        return EXIT.failed;
      }
      // Like the web process: a watcher on a broken host refuses to run rather than ingest into it.
      const readiness = await runtime.readiness.check('deployment');
      const critical = readiness.checks.filter((c) => !c.ok && c.severity === 'critical');
      if (critical.length > 0) {
        io.err(`lx-annotate watch: refusing to start on ${critical.length} critical finding(s): ${critical.map((c) => `${c.name}: ${c.detail}`).join('; ')} (lx-annotate check lists them all)\n`);
        return EXIT.failed;
      }
      // Fail at start, not at the first file, when the storage key is missing.
      await runtime.storage.service();
      const handoff = new WatcherHandoff({ ingest: runtime.ingest.core, recovery: runtime.ingest.recovery, defaultCenterKey: settings.defaultCenterKey, logger });
      if (!(await handoff.center())) {
        logger.error({ center: settings.defaultCenterKey }, 'LX_ANNOTATE_DEFAULT_CENTER names no center (by center_key or name); dropped files wait until it exists');
      }
      const watcher = new FileWatcher({
        dirs,
        handoff,
        logger,
        stableAfterMs: settings.watcher.stableAfterSeconds * 1000,
        pollMs: settings.watcher.pollIntervalSeconds * 1000,
        usePolling: settings.watcher.usePolling,
        storageRoot: settings.paths.storageDir,
      });
      if (values.once || values['process-existing-once']) {
        const summary = await watcher.runOnce();
        logger.info(summary, 'watch --once finished');
        return summary.problems > 0 ? EXIT.failed : EXIT.ok;
      }
      const stop = new Promise<NodeJS.Signals>((resolve) => {
        const on = (signal: NodeJS.Signals): void => {
          process.off('SIGTERM', on);
          process.off('SIGINT', on);
          resolve(signal);
        };
        process.on('SIGTERM', on);
        process.on('SIGINT', on);
      });
      await watcher.start();
      logger.info({ dirs: [dirs.video, dirs.report, dirs.preanonymized], engine: settings.database.engine, usePolling: settings.watcher.usePolling }, 'lx-annotate watcher started');
      const signal = await stop;
      logger.info({ signal }, 'stopping: finishing the current hand-off');
      await watcher.stop();
      logger.info(watcher.summary, 'lx-annotate watcher stopped');
      return EXIT.ok;
    } finally {
      await runtime.close();
      logger.flush();
    }
  },
};

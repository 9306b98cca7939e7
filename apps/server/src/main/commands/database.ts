import { ensureRuntimeDirectories } from '../../features/admin/index.js';
import { migrateToLatest, schemaStatus } from '../../db/index.js';
import pino from 'pino';
import { createLogger } from '../../log/logger.js';
import { compose } from '../compose.js';
import { EXIT, type Command } from './command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply pending database migrations (both engines)',
  usage: '[--status]',
  options: { status: { type: 'boolean' }, noinput: { type: 'boolean' } },
  async run({ values }, io) {
    const config = io.loadConfig();
    await ensureRuntimeDirectories(config.settings);
    const runtime = compose(config, { name: 'lx-annotate-migrate' });
    try {
      if (values.status) {
        const status = await schemaStatus(runtime.db);
        io.out(`applied: ${status.applied.join(', ') || '(none)'}\npending: ${status.pending.join(', ') || '(none)'}\n`);
        if (status.unknown.length > 0) io.out(`unknown (newer release?): ${status.unknown.join(', ')}\n`);
        return status.pending.length === 0 && status.unknown.length === 0 ? EXIT.ok : EXIT.failed;
      }
      const before = await schemaStatus(runtime.db);
      if (before.unknown.length > 0) {
        io.err(`lx-annotate migrate: the database has migrations this release does not know (${before.unknown.join(', ')}); deploy the newer release or restore a backup\n`);
        return EXIT.failed;
      }
      const applied = await migrateToLatest(runtime.db);
      io.out(applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'schema is up to date\n');
      return EXIT.ok;
    } catch (error) {
      io.err(`lx-annotate migrate: ${(error as Error).message}\nNothing after the failed migration was applied; fix the cause (database reachable? locks?) and run migrate again.\n`);
      return EXIT.failed;
    } finally {
      await runtime.close();
    }
  },
};

export const loadBaseDataCommand: Command = {
  name: 'load-base-data',
  summary: 'Load centers, processors with overlay ROIs, label sets and examinations (idempotent)',
  usage: '',
  options: {},
  async run(_args, io) {
    const runtime = compose(io.loadConfig(), { name: 'lx-annotate-load-base-data' });
    try {
      const status = await schemaStatus(runtime.db);
      if (status.pending.length > 0) {
        io.err(`lx-annotate load-base-data: schema is behind (pending ${status.pending.join(', ')}); run lx-annotate migrate first\n`);
        return EXIT.failed;
      }
      const summary = await runtime.knowledgeBase.loadBaseData({ defaultCenterKey: runtime.settings.defaultCenterKey });
      io.out(`base data loaded: ${Object.entries(summary).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
      return EXIT.ok;
    } finally {
      await runtime.close();
    }
  },
};

export const checkCommand: Command = {
  name: 'check',
  summary: 'Deployment readiness: database, schema, directories and permission contract, nginx handoff, ffmpeg/tesseract, master key, role',
  usage: '[--json]   (exit 1 on any critical finding; warnings are listed but pass)',
  options: { json: { type: 'boolean' } },
  async run({ values }, io) {
    // Logs go to stderr: stdout carries only the report (JSON with --json).
    const logger = createLogger({ level: 'warn', name: 'lx-annotate-check', destination: pino.destination(2) });
    const runtime = compose(io.loadConfig(), { name: 'lx-annotate-check', logger });
    try {
      const result = await runtime.readiness.check('deployment');
      if (values.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
      else {
        for (const c of result.checks) io.out(`${c.ok ? 'ok  ' : c.severity === 'critical' ? 'FAIL' : 'warn'}  ${c.name}  ${c.detail}\n`);
        io.out(`${result.status}\n`);
      }
      return result.status === 'ready' ? EXIT.ok : EXIT.failed;
    } finally {
      await runtime.close();
    }
  },
};

import { ensureRuntimeDirectories, RefusingToStart, startupGate } from '../../features/admin/index.js';
import { schemaStatus } from '../../db/index.js';
import { installGracefulShutdown } from '../../http/lifecycle.js';
import { createApiApp } from '../api.js';
import { compose } from '../compose.js';
import { EXIT, type Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the HTTP API (the web role)',
  usage: '[--host H] [--port P]',
  options: { host: { type: 'string' }, port: { type: 'string' } },
  async run({ values }, io) {
    const config = io.loadConfig();
    await ensureRuntimeDirectories(config.settings);
    const runtime = compose(config, { name: 'lx-annotate-web' });
    const status = await schemaStatus(runtime.db).catch((error: unknown) => {
      io.err(`lx-annotate serve: database unreachable: ${(error as Error).message}\n`);
      return undefined;
    });
    if (!status) {
      await runtime.close();
      return EXIT.failed;
    }
    if (status.pending.length > 0 || status.unknown.length > 0) {
      io.err(
        status.pending.length > 0
          ? `lx-annotate serve: refusing to start: schema is behind (pending ${status.pending.join(', ')}); run lx-annotate migrate\n`
          : `lx-annotate serve: refusing to start: schema is newer than this release (${status.unknown.join(', ')})\n`,
      );
      await runtime.close();
      return EXIT.failed;
    }
    // The deployment contract is checked once at start: a web process on a broken host refuses to run.
    const warnings = await startupGate(runtime.readiness).catch(async (error: unknown) => {
      if (!(error instanceof RefusingToStart)) throw error;
      io.err(`lx-annotate serve: ${error.message}\n`);
      await runtime.close();
      return undefined;
    });
    if (!warnings) return EXIT.failed;
    for (const c of warnings) runtime.logger.warn({ check: c.name, detail: c.detail }, 'readiness warning');
    const app = createApiApp(runtime);
    installGracefulShutdown(app, () => runtime.close());
    const port = values.port !== undefined ? Number(values.port) : runtime.settings.http.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      io.err('lx-annotate serve: --port takes a number from 0 to 65535\n');
      return EXIT.usage;
    }
    const address = await app.listen({ host: (values.host as string | undefined) ?? runtime.settings.http.host, port });
    runtime.logger.info({ address, role: runtime.settings.role, engine: runtime.settings.database.engine, env: runtime.settings.env }, 'lx-annotate web listening');
    // Keeps running until a signal closes the server.
    return new Promise<number>(() => undefined);
  },
};

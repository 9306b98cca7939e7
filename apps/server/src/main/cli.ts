#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { EXIT, type CliIo, type Command } from './commands/command.js';
import { configCommand } from './commands/config.js';
import { checkCommand, loadBaseDataCommand, migrateCommand } from './commands/database.js';
import { jobsCommand, workerCommand } from './commands/jobs.js';
import { backupCommand, migrateDataDirCommand, restoreCommand } from './commands/operations.js';
import { serveCommand } from './commands/serve.js';
import { usersCommand } from './commands/users.js';
import { auditCommand } from './commands/audit.js';
import { importSapIshZipCommand, sapImportDropCommand } from './commands/sap.js';
import { repairManagedPayloadsCommand, storageCommand, verifyEncryptedStorageCommand } from './commands/storage.js';
import { demoCommand } from './commands/demo.js';
import { watchCommand } from './commands/watch.js';
import { modelsCommand } from './commands/models.js';
import { nodesCommand } from './commands/nodes.js';
import { hubCommand } from './commands/hub.js';
import { VERSION } from './version.js';

/** Every subcommand; later features add theirs here. */
export const COMMANDS: readonly Command[] = [serveCommand, migrateCommand, checkCommand, configCommand, loadBaseDataCommand, workerCommand, jobsCommand, verifyEncryptedStorageCommand, repairManagedPayloadsCommand, storageCommand, migrateDataDirCommand, backupCommand, restoreCommand, importSapIshZipCommand, sapImportDropCommand, usersCommand, auditCommand, demoCommand, watchCommand, modelsCommand, nodesCommand, hubCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `lx-annotate ${VERSION}: anonymization, annotation and export of endoscopy media`,
    '',
    'Usage: lx-annotate <command> [options]     (lx-annotate <command> --help for details)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const opts = Object.entries(command.options).map(([name, o]) => `  --${name}${o.type === 'string' ? ' <value>' : ''}`);
  return [`lx-annotate ${command.name} ${command.usage}`.trimEnd(), '', command.summary, '', ...(opts.length ? ['Options:', ...opts, ''] : [])].join('\n');
}

/** Runs one CLI invocation and returns its exit code (the process is not exited here). */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  const fullIo: CliIo = { out, err, loadConfig: io.loadConfig ?? (() => loadConfig()) };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    out(`${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    err(`lx-annotate: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }
  let args;
  try {
    args = parseArgs({ args: [...rest], options: command.options, allowPositionals: command.allowPositionals ?? false, strict: true });
  } catch (error) {
    err(`lx-annotate ${command.name}: ${(error as Error).message}\n\n${commandHelp(command)}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(args as Parameters<Command['run']>[0], fullIo);
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`lx-annotate: configuration error: ${error.message}\n`);
      return EXIT.usage;
    }
    err(`lx-annotate ${command.name}: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly || process.env.LX_ANNOTATE_CLI_MAIN === '1') {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

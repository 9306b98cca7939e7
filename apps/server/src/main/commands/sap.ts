import { basename, relative } from 'node:path';
import type { LoadedConfig } from '../../config/index.js';
import { createDatabase, schemaStatus, type Db } from '../../db/index.js';
import { ensureRuntimeDirectories } from '../../features/admin/index.js';
import { CentersService } from '../../features/centers/index.js';
import {
  DEFAULT_SAP_ARCHIVE_LIMITS,
  SapDropService,
  SapImportService,
  type SapArchiveLimits,
  type SapCenterDirectory,
  type SapDropEvent,
  type SapImportOutcome,
} from '../../features/ingest/index.js';
import { DomainError } from '../../shared/errors.js';
import { EXIT, type CliIo, type Command, type ParsedArgs } from './command.js';

/** Hyphenated names, each also accepted with the original's underscore spelling. */
const STRING_OPTIONS = ['output-dir', 'source-system', 'center-key', 'center-name', 'manifest-path'] as const;
type StringOption = (typeof STRING_OPTIONS)[number];
const RESIDENT_POLL_MS = 30_000;

function archiveLimits(config: LoadedConfig): SapArchiveLimits {
  const total = config.settings.sapImport.maxUncompressedBytes;
  return { ...DEFAULT_SAP_ARCHIVE_LIMITS, maxTotalBytes: total, maxEntryBytes: Math.min(DEFAULT_SAP_ARCHIVE_LIMITS.maxEntryBytes, total) };
}

class UsageError extends Error {}

function stringOption(values: ParsedArgs['values'], name: StringOption): string | undefined {
  const given = [values[name], values[name.replace(/-/g, '_')]].filter((v): v is string => typeof v === 'string');
  if (given.length === 2 && given[0] !== given[1]) throw new UsageError(`--${name} and --${name.replace(/-/g, '_')} disagree`);
  return given[0];
}

function printOutcome(io: CliIo, outcome: SapImportOutcome): void {
  for (const warning of outcome.warnings) io.out(`warning: ${warning}\n`);
  io.out(`Generated ${outcome.generated.length} watcher file pair(s) from ${outcome.matched.length} supported SAP table file(s)\n`);
  for (const table of outcome.matched) io.out(`  ${table.memberPath}: ${table.documentType}, ${table.rows} row(s), ${table.encoding}\n`);
  if (outcome.skipped.length > 0) {
    io.out(`Skipped unsupported table files: ${outcome.skipped.map((s) => s.memberPath).join(', ')}\n`);
    for (const table of outcome.skipped) io.out(`  ${table.memberPath}: ${table.reason}\n`);
  }
  for (const file of outcome.generated) io.out(`- ${basename(file.carrierPath)} (${file.documentType})\n`);
  io.out(`Manifest written to ${outcome.manifestPath}\n`);
}

export const importSapIshZipCommand: Command = {
  name: 'import-sap-ish-zip',
  summary: 'Convert a SAP IS-H zip of tab-separated tables into preanonymized .txt + .json drop pairs',
  usage: '<zip> [--output-dir D] [--source-system sap_ish] [--center-key K] [--center-name N] [--manifest-path P]  (underscore spellings accepted)',
  options: Object.fromEntries(STRING_OPTIONS.flatMap((name) => [[name, { type: 'string' }] as const, [name.replace(/-/g, '_'), { type: 'string' }] as const])),
  allowPositionals: true,
  async run(args, io) {
    let options: Record<StringOption, string | undefined>;
    try {
      if (args.positionals.length !== 1) throw new UsageError('expected exactly one zip path');
      options = Object.fromEntries(STRING_OPTIONS.map((name) => [name, stringOption(args.values, name)])) as Record<StringOption, string | undefined>;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      io.err(`lx-annotate import-sap-ish-zip: ${error.message}\nusage: lx-annotate import-sap-ish-zip ${importSapIshZipCommand.usage}\n`);
      return EXIT.usage;
    }
    const config = io.loadConfig();
    await ensureRuntimeDirectories(config.settings);
    const declaresCenter = [options['center-key'], options['center-name']].some((v) => v !== undefined && v.trim() !== '');
    // Only a declared center needs the database; the drop-directory flow runs without one.
    let db: Db | undefined;
    let centers: SapCenterDirectory | undefined;
    try {
      if (declaresCenter) {
        db = createDatabase(config.settings.database);
        const status = await schemaStatus(db);
        if (status.pending.length > 0) {
          io.err(`lx-annotate import-sap-ish-zip: schema is behind (pending ${status.pending.join(', ')}); run lx-annotate migrate first\n`);
          return EXIT.failed;
        }
        centers = new CentersService(db);
      }
      const importer = new SapImportService({ paths: config.settings.paths, limits: archiveLimits(config), centers });
      const outcome = await importer.importZip({
        zipPath: args.positionals[0]!,
        outputDir: options['output-dir'],
        sourceSystem: options['source-system'],
        centerKey: options['center-key'],
        centerName: options['center-name'],
        manifestPath: options['manifest-path'],
      });
      printOutcome(io, outcome);
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      io.err(`lx-annotate import-sap-ish-zip: ${error.message}\n`);
      return EXIT.failed;
    } finally {
      await db?.destroy();
    }
  },
};

function describeEvent(event: SapDropEvent, dataRoot: string): { line: string; problem: boolean } {
  const where = (path: string): string => relative(dataRoot, path);
  switch (event.kind) {
    case 'imported':
      // Counts only: this output goes to the journal, file names carry patient numbers.
      return { line: `imported ${event.name}: ${event.outcome.generated.length} pair(s) from ${event.outcome.matched.length} table(s), ${event.outcome.skipped.length} skipped; moved to ${where(event.movedTo)}; manifest ${where(event.outcome.manifestPath)}`, problem: false };
    case 'failed':
      return { line: `failed ${event.name}: ${event.reason}; moved to ${where(event.movedTo)}`, problem: true };
    case 'retry':
      return { line: `left ${event.name} for the next run: ${event.reason}`, problem: true };
    case 'unstable':
      return { line: `skipped ${event.name}: still being written; left in place`, problem: false };
    case 'ignored':
      return { line: `ignored ${event.name}: ${event.reason}`, problem: false };
  }
}

export const sapImportDropCommand: Command = {
  name: 'sap-import-drop',
  summary: 'Import every stable zip in import/sap_import/, then move it to sap_import_processed/ or sap_import_failed/',
  usage: '[--once]',
  options: { once: { type: 'boolean' } },
  async run({ values }, io) {
    const config = io.loadConfig();
    const { settings } = config;
    await ensureRuntimeDirectories(settings);
    const importer = new SapImportService({ paths: settings.paths, limits: archiveLimits(config) });
    const drop = new SapDropService({ importer, paths: settings.paths });
    let problems = 0;
    const report = (event: SapDropEvent): void => {
      const { line, problem } = describeEvent(event, settings.paths.dataRoot);
      if (problem) problems += 1;
      (problem ? io.err : io.out)(`${line}\n`);
    };
    if (values.once) {
      const summary = await drop.runOnce(report);
      if (summary.busy) io.out('another sap-import-drop run is active; nothing done\n');
      else if (summary.events.length === 0) io.out('no SAP zip waiting\n');
      return problems > 0 ? EXIT.failed : EXIT.ok;
    }
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      await drop.runUntil(stop.signal, RESIDENT_POLL_MS, { onEvent: report, onError: (error) => io.err(`sap-import-drop: ${error.message}; next pass in ${RESIDENT_POLL_MS / 1000} s\n`) });
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    return EXIT.ok;
  },
};

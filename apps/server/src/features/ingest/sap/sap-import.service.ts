import { lstat, mkdir, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { atomicWriteStream } from '../../../adapters/storage/index.js';
import { isInside, type RuntimePaths } from '../../../config/index.js';
import { Invalid, NotFound } from '../../../shared/errors.js';
import type { CenterRow } from '../../centers/index.js';
import { pythonJsonDumps, type JsonValue } from './python-json.js';
import { buildDropFiles } from './sap-grouping.js';
import { fileStamp, ownerForFilesIn, publishPairs } from './sap-output.js';
import { parseSapTable, SapTableError, type SapEncoding } from './sap-table.js';
import { resolveTemplate, rowMapper, SapTemplateError, type SapNormalizedRow } from './sap-template-match.js';
import type { SapDocumentType } from './sap-templates.js';
import { compareCodePoints, pyStrip } from './sap-values.js';
import { DEFAULT_SAP_ARCHIVE_LIMITS, readSapArchive, type SapArchiveLimits } from './sap-zip.js';
import { pathExists } from '../../../shared/durable-fs.js';

/** The command name the original wrote into every manifest. */
export const SAP_IMPORT_COMMAND = 'import_sap_ish_zip';
export const DEFAULT_SOURCE_SYSTEM = 'sap_ish';
const OUTPUT_FILE_MODE = 0o640;

export interface SapImportRequest {
  readonly zipPath: string;
  /** Default: the preanonymized drop directory. Must lie inside the data root. */
  readonly outputDir?: string | undefined;
  readonly sourceSystem?: string | undefined;
  readonly centerKey?: string | undefined;
  readonly centerName?: string | undefined;
  /** Default: `<data root>/migration_staging/manifests/<zip stem>-<UTC stamp>.json`. */
  readonly manifestPath?: string | undefined;
}

export interface SapGeneratedFile {
  readonly carrierPath: string;
  readonly sidecarPath: string;
  readonly documentType: SapDocumentType;
}

export interface SapTableReport {
  readonly memberPath: string;
  readonly documentType?: SapDocumentType;
  readonly encoding?: SapEncoding;
  readonly rows?: number;
  /** Why the table was skipped; absent for matched tables. */
  readonly reason?: string;
}

export interface SapImportOutcome {
  readonly zipPath: string;
  readonly outputDir: string;
  readonly manifestPath: string;
  readonly generated: readonly SapGeneratedFile[];
  readonly matched: readonly SapTableReport[];
  readonly skipped: readonly SapTableReport[];
  readonly warnings: readonly string[];
}

/** The part of the centers feature the import needs to resolve a declared center. */
export interface SapCenterDirectory {
  byKey(centerKey: string): Promise<CenterRow | undefined>;
  list(): Promise<CenterRow[]>;
}

export interface SapImportDeps {
  readonly paths: Pick<RuntimePaths, 'dataRoot' | 'storageDir' | 'importDirs'>;
  readonly limits?: SapArchiveLimits;
  /** Needed only when a request declares a center. */
  readonly centers?: SapCenterDirectory | undefined;
  readonly clock?: () => Date;
}

/** `~` and `~/…` as the original's `Path.expanduser()`. */
function expandUser(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

const clean = (value: string | undefined): string | undefined => {
  const text = value === undefined ? '' : pyStrip(value);
  return text === '' ? undefined : text;
};

/** Python `datetime.now(timezone.utc).isoformat()`. */
function pythonUtcIso(date: Date): string {
  const ms = date.getUTCMilliseconds();
  return `${date.toISOString().slice(0, 19)}${ms === 0 ? '' : `.${String(ms * 1000).padStart(6, '0')}`}+00:00`;
}

/** Tables in the order of Python's `sorted(Path.rglob('*.txt'))`: path segments compared one by one. */
function compareMemberPaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i += 1) {
    const order = compareCodePoints(pa[i]!, pb[i]!);
    if (order !== 0) return order;
  }
  return pa.length - pb.length;
}

/**
 * Converts a SAP IS-H zip export into watcher drop pairs (reference-contracts §7):
 * safe zip reading, decoding fallbacks, template matching, case grouping, `.txt` + `.json`
 * pairs published all-or-nothing, and a JSON manifest of the run.
 */
export class SapImportService {
  private readonly limits: SapArchiveLimits;
  private readonly clock: () => Date;

  constructor(private readonly deps: SapImportDeps) {
    this.limits = deps.limits ?? DEFAULT_SAP_ARCHIVE_LIMITS;
    this.clock = deps.clock ?? (() => new Date());
  }

  /**
   * Inside the data root but outside the encrypted storage tree (plaintext patient data must
   * not land among managed payloads). Lexical check only; nothing is created before the import
   * is known to succeed.
   */
  private insideDataRoot(dir: string, what: string): string {
    const root = resolve(this.deps.paths.dataRoot);
    const wanted = resolve(expandUser(dir));
    if (!isInside(root, wanted)) throw new Invalid(`${what} must be inside the data root ${root}: ${wanted}`);
    const storage = resolve(this.deps.paths.storageDir);
    if (isInside(storage, wanted)) throw new Invalid(`${what} must not be inside the encrypted storage ${storage}: ${wanted}`);
    return wanted;
  }

  /** Creates `dir` when missing, then checks that it does not lead out of the data root through a symlink. */
  private async createInsideDataRoot(dir: string, what: string, mode: number): Promise<void> {
    await mkdir(dir, { recursive: true, mode });
    const real = await realpath(dir);
    if (!isInside(await realpath(this.deps.paths.dataRoot), real)) throw new Invalid(`${what} resolves outside the data root ${this.deps.paths.dataRoot}: ${real}`);
    const storage = await realpath(this.deps.paths.storageDir).catch(() => resolve(this.deps.paths.storageDir));
    if (isInside(storage, real)) throw new Invalid(`${what} resolves into the encrypted storage ${storage}: ${real}`);
  }

  /** Both given: they must name the same center (§3.2 wording). */
  async resolveCenter(centerKey: string | undefined, centerName: string | undefined): Promise<CenterRow | undefined> {
    if (centerKey === undefined && centerName === undefined) return undefined;
    const centers = this.deps.centers;
    if (!centers) throw new Error('a declared center needs the centers directory (database)');
    const byKey = centerKey === undefined ? undefined : await centers.byKey(centerKey);
    if (centerKey !== undefined && !byKey) throw new NotFound(`Unknown center_key: ${centerKey}`);
    const byName = centerName === undefined ? undefined : (await centers.list()).find((c) => c.name === centerName);
    if (centerName !== undefined && !byName) throw new NotFound(`Unknown center_name: ${centerName}`);
    if (byKey && byName && byKey.id !== byName.id) throw new Invalid('center_key and center_name refer to different centers');
    return byKey ?? byName;
  }

  private async defaultManifestPath(zipPath: string, now: Date): Promise<string> {
    const dir = join(this.deps.paths.dataRoot, 'migration_staging', 'manifests');
    await this.createInsideDataRoot(dir, 'manifest directory', 0o750);
    const stem = basename(zipPath, extname(zipPath));
    const stamp = fileStamp(now);
    for (let n = 1; ; n += 1) {
      const candidate = join(dir, n === 1 ? `${stem}-${stamp}.json` : `${stem}-${stamp}-${n}.json`);
      if (!(await pathExists(candidate))) return candidate;
    }
  }

  async importZip(request: SapImportRequest): Promise<SapImportOutcome> {
    const now = this.clock();
    const warnings: string[] = [];
    const sourceSystem = clean(request.sourceSystem) ?? DEFAULT_SOURCE_SYSTEM;
    const centerKey = clean(request.centerKey);
    const centerName = clean(request.centerName);

    const zipPath = resolve(expandUser(request.zipPath));
    const zipStat = await lstat(zipPath).catch(() => undefined);
    if (!zipStat) throw new NotFound(`Zip archive does not exist: ${zipPath}`);
    if (!zipStat.isFile()) throw new Invalid(`Zip archive is not a regular file: ${zipPath}`);
    const dropDir = this.deps.paths.importDirs.sapImport;
    const realDrop = await realpath(dropDir).catch(() => resolve(dropDir));
    if (!isInside(realDrop, await realpath(zipPath))) warnings.push(`SAP archive is outside managed sap drop tier: ${zipPath}`);

    const outputDir = this.insideDataRoot(request.outputDir ?? this.deps.paths.importDirs.preanonymized, 'output directory');
    const requestedManifest = clean(request.manifestPath);
    const givenManifestPath = requestedManifest === undefined ? undefined : this.insideDataRoot(requestedManifest, 'manifest path');
    // An explicit manifest path never replaces a file (a typo must not overwrite the database).
    if (givenManifestPath !== undefined && (await pathExists(givenManifestPath))) throw new Invalid(`manifest path already exists: ${givenManifestPath}`);
    await this.resolveCenter(centerKey, centerName);

    const archive = await readSapArchive(zipPath, this.limits);
    const oddCase = archive.otherMembers.filter((m) => m.toLowerCase().endsWith('.txt'));
    if (oddCase.length > 0) warnings.push(`not read as tables (only members ending in lowercase .txt are): ${oddCase.join(', ')}`);
    const matched: SapTableReport[] = [];
    const skipped: SapTableReport[] = [];
    const rows: SapNormalizedRow[] = [];
    for (const table of [...archive.tables].sort((a, b) => compareMemberPaths(a.memberPath, b.memberPath))) {
      const sourceFile = table.memberPath.split('/').pop()!;
      try {
        const parsed = parseSapTable(table.bytes);
        if (parsed.rows.length === 0) {
          skipped.push({ memberPath: table.memberPath, encoding: parsed.encoding, reason: 'no data rows' });
          continue;
        }
        const match = resolveTemplate(parsed.headers);
        const toRow = rowMapper(parsed.headers, match);
        for (const row of parsed.rows) rows.push(toRow(row.cells, { memberPath: table.memberPath, sourceFile, rowNumber: row.rowNumber }));
        matched.push({ memberPath: table.memberPath, documentType: match.template.documentType, encoding: parsed.encoding, rows: parsed.rows.length });
      } catch (error) {
        if (!(error instanceof SapTableError || error instanceof SapTemplateError)) throw error;
        skipped.push({ memberPath: table.memberPath, reason: error.message });
      }
    }
    if (rows.length === 0) {
      const detail = skipped.map((s) => `${s.memberPath}: ${s.reason}`).join('; ');
      throw new Invalid(`No supported SAP IS-H TSV tables were found in the provided zip archive${detail ? ` (${detail})` : ''}`);
    }

    const dropFiles = buildDropFiles(rows, { sourceSystem, centerName, centerKey });
    if (dropFiles.length === 0) warnings.push('no supported row carries a PatientNr; nothing was generated');
    const generated: SapGeneratedFile[] = dropFiles.map((f) => ({
      carrierPath: join(outputDir, `${f.stem}.txt`),
      sidecarPath: join(outputDir, `${f.stem}.json`),
      documentType: f.documentType,
    }));
    const manifest = new Map<string, JsonValue>([
      ['command', SAP_IMPORT_COMMAND],
      ['created_at', pythonUtcIso(now)],
      ['zip_path', zipPath],
      ['output_dir', outputDir],
      ['source_system', sourceSystem],
      ['center_name', centerName ?? null],
      ['center_key', centerKey ?? null],
      ['process', false],
      ['generated_files', generated.map((g) => ({ carrier_path: g.carrierPath, sidecar_path: g.sidecarPath, document_type: g.documentType }))],
      ['matched_source_files', matched.map((m) => m.memberPath)],
      ['skipped_source_files', skipped.map((s) => s.memberPath)],
    ]);

    await this.createInsideDataRoot(outputDir, 'output directory', 0o770);
    let manifestPath: string;
    if (givenManifestPath !== undefined) {
      manifestPath = givenManifestPath;
      await this.createInsideDataRoot(dirname(manifestPath), 'manifest path', 0o750);
    } else manifestPath = await this.defaultManifestPath(zipPath, now);
    const pairOwner = await ownerForFilesIn(outputDir);
    const manifestOwner = await ownerForFilesIn(dirname(manifestPath));
    // The manifest is complete and durable before any pair is published, and appears under its
    // final name only after all pairs are: a failed manifest write publishes nothing.
    await atomicWriteStream(manifestPath, (handle) => handle.writeFile(pythonJsonDumps(manifest), 'utf8'), {
      mode: OUTPUT_FILE_MODE,
      owner: manifestOwner,
      beforeRename: async () => {
        await publishPairs(
          outputDir,
          dropFiles.map((f) => ({ stem: f.stem, carrierText: f.carrierText, sidecarJson: pythonJsonDumps(f.sidecar) })),
          { fileMode: OUTPUT_FILE_MODE, owner: pairOwner, nowMs: now.getTime() },
        );
      },
    });
    return { zipPath, outputDir, manifestPath, generated, matched, skipped, warnings };
  }
}

import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ConfigError } from './errors.js';
import type { EnvSources, Lookup } from './sources.js';

export interface ImportDirs {
  readonly video: string;
  readonly report: string;
  readonly preanonymized: string;
  readonly sapImport: string;
  readonly sapImportProcessed: string;
  readonly sapImportFailed: string;
}

/** Every directory the system uses, resolved to absolute paths. */
export interface RuntimePaths {
  readonly dataRoot: string;
  /** Which variable named the data root, or `XDG_DATA_HOME` fallback. */
  readonly dataRootVia: string;
  readonly storageDir: string;
  readonly ioDir: string;
  readonly protectedMediaRoot: string;
  readonly streamableRoot: string;
  readonly streamableRawRoot: string;
  readonly streamableProcessedRoot: string;
  readonly quarantineDir: string;
  readonly exportFramesDir: string;
  readonly staticRoot: string;
  readonly logsDir: string;
  readonly importDirs: ImportDirs;
}

export const DATA_ROOT_VARIABLES = ['LX_ANNOTATE_ENCRYPTED_DATA_DIR', 'LX_ANNOTATE_DATA_DIR', 'DATA_DIR'] as const;

/** True when `child` is `parent` or lies below it (lexically, both absolute). */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

/** The protected data root: first of the three root variables, else `$XDG_DATA_HOME/lx-annotate`. */
export function resolveDataRoot(sources: EnvSources, home = homedir()): { root: string; via: string } {
  for (const name of DATA_ROOT_VARIABLES) {
    const hit = sources.get(name);
    if (hit) return { root: resolve(expandHome(hit.value.trim(), home)), via: hit.via };
  }
  const xdg = sources.get('XDG_DATA_HOME');
  const base = xdg ? expandHome(xdg.value.trim(), home) : `${home}/.local/share`;
  return { root: resolve(base, 'lx-annotate'), via: 'XDG_DATA_HOME' };
}

export function resolvePaths(sources: EnvSources, home = homedir()): RuntimePaths {
  const { root, via } = resolveDataRoot(sources, home);

  const inside = (name: string, fallback: string, within = root): string => {
    const hit: Lookup | undefined = sources.get(name);
    if (!hit) return fallback;
    const value = resolve(within, expandHome(hit.value.trim(), home));
    if (!isInside(root, value)) {
      throw new ConfigError(hit.via, `a path outside the protected data root (${value})`, `a path inside ${root}`);
    }
    return value;
  };

  const storageDir = inside('STORAGE_DIR', resolve(root, 'storage'));
  const ioDir = inside('IO_DIR', root);
  const protectedMediaRoot = inside('PROTECTED_MEDIA_ROOT', storageDir);
  const streamableRoot = inside('LX_ANNOTATE_STREAMABLE_VIDEO_ROOT', resolve(storageDir, 'streamable_videos'));
  const streamableRawRoot = inside('LX_ANNOTATE_STREAMABLE_VIDEO_RAW_ROOT', resolve(streamableRoot, 'raw'));
  const streamableProcessedRoot = inside('LX_ANNOTATE_STREAMABLE_VIDEO_PROCESSED_ROOT', resolve(streamableRoot, 'processed'));
  for (const [name, dir] of [
    ['LX_ANNOTATE_STREAMABLE_VIDEO_ROOT', streamableRoot],
    ['LX_ANNOTATE_STREAMABLE_VIDEO_RAW_ROOT', streamableRawRoot],
    ['LX_ANNOTATE_STREAMABLE_VIDEO_PROCESSED_ROOT', streamableProcessedRoot],
  ] as const) {
    // nginx addresses streamable files relative to the protected media root.
    if (!isInside(protectedMediaRoot, dir)) {
      throw new ConfigError(name, `a path outside PROTECTED_MEDIA_ROOT (${dir})`, `a path inside ${protectedMediaRoot}`);
    }
  }
  const importRoot = resolve(ioDir, 'import');
  const staticHit = sources.get('DJANGO_STATIC_ROOT');
  const staticRoot = staticHit
    ? resolve(expandHome(staticHit.value.trim(), home))
    : basename(root) === 'data'
      ? resolve(dirname(root), 'staticfiles')
      : resolve(root, 'staticfiles');

  return {
    dataRoot: root,
    dataRootVia: via,
    storageDir,
    ioDir,
    protectedMediaRoot,
    streamableRoot,
    streamableRawRoot,
    streamableProcessedRoot,
    quarantineDir: inside('LX_ANNOTATE_QUARANTINE_DIR', resolve(root, 'quarantine')),
    exportFramesDir: inside('LX_ANNOTATE_EXPORT_FRAMES_OUTPUT_DIR', resolve(storageDir, 'export', 'frames')),
    staticRoot,
    logsDir: resolve(root, 'logs'),
    importDirs: {
      video: inside('WATCHER_VIDEO_DIR', resolve(importRoot, 'video_import'), ioDir),
      report: inside('WATCHER_REPORT_DIR', resolve(importRoot, 'report_import'), ioDir),
      preanonymized: inside('WATCHER_PREANONYMIZED_DIR', resolve(importRoot, 'preanonymized_import'), ioDir),
      sapImport: resolve(importRoot, 'sap_import'),
      sapImportProcessed: resolve(importRoot, 'sap_import_processed'),
      sapImportFailed: resolve(importRoot, 'sap_import_failed'),
    },
  };
}

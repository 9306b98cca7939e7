import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { atomicWriteStream } from '../../adapters/storage/index.js';

/** The runtime env file that belongs to a data root: beside a root named `data`, else inside it. */
export function envFileFor(dataRoot: string): string {
  return basename(dataRoot) === 'data' ? join(dirname(dataRoot), '.env.systemd') : join(dataRoot, '.env.systemd');
}

export type EnvFileAction = 'kept' | 'rewritten-from-legacy' | 'created-minimal';

export interface EnvFilePlan {
  readonly path: string;
  readonly action: EnvFileAction;
  /** The legacy file the new one is derived from. */
  readonly legacy: string | undefined;
}

/**
 * Path variables pointed at the new root. The historical script set all five to the data root;
 * STORAGE_DIR is the `storage` subtree here, since the storage root must not be the whole data root.
 */
export function pathVariables(targetRoot: string): Array<[string, string]> {
  return [
    ['LX_ANNOTATE_ENCRYPTED_DATA_DIR', targetRoot],
    ['LX_ANNOTATE_DATA_DIR', targetRoot],
    ['DATA_DIR', targetRoot],
    ['STORAGE_DIR', join(targetRoot, 'storage')],
    ['IO_DIR', targetRoot],
  ];
}

const quoted = (value: string): string => (/^[A-Za-z0-9_./:@+-]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, '\\$1')}"`);

/** An existing target env file is the source of truth; otherwise the legacy one (or a minimal one) is written. */
export function planEnvFile(sourceRoot: string, targetRoot: string): EnvFilePlan {
  const path = envFileFor(targetRoot);
  if (existsSync(path)) return { path, action: 'kept', legacy: undefined };
  const legacy = [join(dirname(sourceRoot), '.env.systemd'), join(sourceRoot, '.env.systemd')].find((p) => existsSync(p));
  return { path, action: legacy ? 'rewritten-from-legacy' : 'created-minimal', legacy };
}

/** The legacy file's lines with the path variables replaced (or appended), everything else verbatim. */
export function rewriteEnvText(text: string, targetRoot: string): string {
  const wanted = new Map(pathVariables(targetRoot));
  const written = new Set<string>();
  const lines = text.split(/\r?\n/).map((line) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    const name = match?.[1];
    if (name === undefined || !wanted.has(name)) return line;
    written.add(name);
    return `${name}=${quoted(wanted.get(name) as string)}`;
  });
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const missing = [...wanted].filter(([name]) => !written.has(name));
  if (missing.length > 0) lines.push('', '# Data root paths written by lx-annotate migrate-data-dir', ...missing.map(([n, v]) => `${n}=${quoted(v)}`));
  return `${lines.join('\n')}\n`;
}

/** Carries out the plan; the file holds secrets, so it is written 0600 and atomically. */
export async function applyEnvFilePlan(plan: EnvFilePlan, targetRoot: string, owner: { uid: number; gid: number } | undefined): Promise<void> {
  if (plan.action === 'kept') return;
  const text = plan.legacy
    ? rewriteEnvText(await readFile(plan.legacy, 'utf8'), targetRoot)
    : `# Written by lx-annotate migrate-data-dir; complete it from deploy/.env.systemd.example\n${pathVariables(targetRoot)
        .map(([n, v]) => `${n}=${quoted(v)}`)
        .join('\n')}\n`;
  await atomicWriteStream(
    plan.path,
    (handle) => handle.writeFile(text, 'utf8'),
    { mode: 0o600, ...(owner ? { owner } : {}) },
  );
}

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEnvFile } from './env-file.js';
import { resolveDataRoot } from './paths.js';
import { buildSettings, type Settings } from './settings.js';
import { EnvSources } from './sources.js';

/** The installation (repository or release) root: four levels above this module, in src and dist alike. */
export const APP_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export interface LoadOptions {
  /** Defaults to `process.env`; tests pass their own. */
  readonly processEnv?: Readonly<Record<string, string | undefined>>;
  readonly appRoot?: string;
  readonly home?: string;
}

export interface LoadedConfig {
  readonly settings: Settings;
  readonly sources: EnvSources;
  /** The env file that was read, if any. */
  readonly envFile: string | undefined;
}

/**
 * Env file candidates in the original's order: production looks for `.env.systemd`
 * beside a data root named `data`, then inside the root, then in the app root;
 * development looks for `<app>/.env`, then `<root>/.env`. `LX_ANNOTATE_ENV_FILE`
 * names the file explicitly (it must then exist).
 */
export function envFileCandidates(processEnv: Readonly<Record<string, string | undefined>>, appRoot: string, home: string): string[] {
  const explicit = processEnv.LX_ANNOTATE_ENV_FILE?.trim();
  if (explicit) return [resolve(explicit)];
  const { root } = resolveDataRoot(new EnvSources(processEnv), home);
  const development = (processEnv.DJANGO_ENV ?? '').trim().toLowerCase() === 'development';
  if (development) return [resolve(appRoot, '.env'), resolve(root, '.env')];
  return [
    ...(basename(root) === 'data' ? [resolve(dirname(root), '.env.systemd')] : []),
    resolve(root, '.env.systemd'),
    resolve(appRoot, '.env.systemd'),
  ];
}

/** Reads the env file and the process environment and builds validated settings. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const processEnv = options.processEnv ?? process.env;
  const appRoot = options.appRoot ?? APP_ROOT;
  const home = options.home ?? homedir();
  const candidates = envFileCandidates(processEnv, appRoot, home);
  const explicit = Boolean(processEnv.LX_ANNOTATE_ENV_FILE?.trim());
  const envFile = explicit ? candidates[0] : candidates.find((c) => existsSync(c));
  const fileValues = envFile ? readEnvFile(envFile) : new Map<string, string>();
  const sources = new EnvSources(processEnv, fileValues, envFile);
  const settings = buildSettings(sources, { home, webSourceDir: resolve(appRoot, 'apps', 'web') });
  return { settings, sources, envFile };
}

import { declaration } from './variables.js';
import { readSecretFile } from './secret-file.js';
import { parseEnvFile } from './env-file.js';
import { ConfigError } from './errors.js';

export type SourceKind = 'default' | 'env-file' | 'process-env' | 'file-secret' | 'derived';

export interface Lookup {
  readonly value: string;
  readonly source: SourceKind;
  /** The variable name that supplied the value (an alias or a `_FILE` variant). */
  readonly via: string;
}

/**
 * The raw environment the settings are built from. The process environment wins
 * over the env file (systemd's EnvironmentFile= and an operator's export both land
 * in the process environment; the file is a fallback), and within one source the
 * canonical name is tried before its aliases. Empty values count as unset.
 */
export class EnvSources {
  readonly consulted = new Map<string, Lookup | undefined>();

  constructor(
    private readonly processEnv: Readonly<Record<string, string | undefined>>,
    private readonly fileValues: ReadonlyMap<string, string> = new Map(),
    readonly envFilePath: string | undefined = undefined,
  ) {}

  /** Raw value of exactly this name (no aliases), process environment first. */
  raw(name: string): Lookup | undefined {
    const fromProcess = this.processEnv[name];
    if (fromProcess !== undefined && fromProcess.trim() !== '') return { value: fromProcess, source: 'process-env', via: name };
    const fromFile = this.fileValues.get(name);
    if (fromFile !== undefined && fromFile.trim() !== '') return { value: fromFile, source: 'env-file', via: name };
    return undefined;
  }

  /** A declared variable, trying its canonical name then its aliases. */
  get(name: string): Lookup | undefined {
    const decl = declaration(name);
    const names = [decl.name, ...(decl.aliases ?? [])];
    let hit: Lookup | undefined;
    for (const source of ['process', 'file'] as const) {
      for (const candidate of names) {
        const value = source === 'process' ? this.processEnv[candidate] : this.fileValues.get(candidate);
        if (value !== undefined && value.trim() !== '') {
          hit = { value, source: source === 'process' ? 'process-env' : 'env-file', via: candidate };
          break;
        }
      }
      if (hit) break;
    }
    this.consulted.set(name, hit);
    return hit;
  }

  /**
   * A secret: the literal value wins over the `_FILE` variant (as in the original),
   * unless `isPlaceholder` says the literal is a template value. A blank `_FILE`
   * is unset; an unreadable or empty file aborts.
   */
  secret(name: string, options: { isPlaceholder?: (value: string) => boolean; fileKeys?: readonly string[] } = {}): Lookup | undefined {
    const literal = this.get(name);
    if (literal && !(options.isPlaceholder?.(literal.value) ?? false)) return literal;
    const fileVar = `${name}_FILE`;
    const file = this.raw(fileVar);
    if (file) {
      let value = readSecretFile(fileVar, file.value.trim());
      if (options.fileKeys && /^[A-Za-z_][A-Za-z0-9_]*\s*=/m.test(value)) {
        const entries = parseEnvFile(value, fileVar);
        const key = options.fileKeys.find((k) => (entries.get(k) ?? '') !== '');
        if (!key) throw new ConfigError(fileVar, `an env-style file without any of ${options.fileKeys.join(', ')}`, 'a raw secret or NAME=value lines naming one of them');
        value = entries.get(key) as string;
      }
      const hit: Lookup = { value, source: 'file-secret', via: fileVar };
      this.consulted.set(name, hit);
      return hit;
    }
    return literal;
  }
}

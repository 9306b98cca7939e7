import type { ParseArgsConfig } from 'node:util';
import type { LoadedConfig } from '../../config/index.js';

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Loads and validates the configuration (throws ConfigError). */
  readonly loadConfig: () => LoadedConfig;
}

export type ParsedArgs = { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] };

/** One `lx-annotate` subcommand. `run` returns the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage line(s) after `lx-annotate <name>`. */
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly allowPositionals?: boolean;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Exit codes: 0 ok, 1 a check or operation failed, 2 bad usage or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

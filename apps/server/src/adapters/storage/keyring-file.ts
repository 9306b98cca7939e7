import { isAbsolute } from 'node:path';
import { KeyConfigError } from './errors.js';
import { Keyring, MasterKey, MAX_RETIRING_KEYS } from './keys.js';
import { readSecretFile } from '../../shared/secret-file.js';
import type { ReadSecretFileOptions } from '../../shared/secret-file.js';

/** The key file paths a keyring file names. */
export interface KeyringFileSpec {
  readonly active: string;
  readonly retiring: readonly string[];
}

/**
 * Parses the keyring file, a small YAML subset:
 * ```
 * schema_version: 1
 * active: /abs/path/to/active.key
 * retiring:            # optional; may also be `retiring: []`
 *   - /abs/path/old1.key
 * ```
 * Values may be single- or double-quoted (no escapes). Full-line and ` #` trailing comments are
 * ignored. Unknown or repeated keys, relative paths and more than 8 retiring entries are errors.
 * `source` labels error messages.
 */
export function parseKeyringFile(text: string, source = 'keyring file'): KeyringFileSpec {
  const fail = (line: number | undefined, problem: string): never => {
    throw new KeyConfigError(`${source}${line === undefined ? '' : ` line ${line}`}: ${problem}`);
  };
  const fields = new Map<string, string>();
  let retiring: string[] | undefined;
  let inRetiringList = false;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = stripComment(raw).trimEnd();
    if (line.trim() === '') return;
    const item = /^\s+-\s+(.*)$/.exec(line) ?? /^-\s+(.*)$/.exec(line);
    if (item) {
      if (!inRetiringList) fail(lineNo, 'a list item is only allowed under "retiring:"');
      retiring?.push(unquote(item[1] ?? '', () => fail(lineNo, 'unbalanced quotes')));
      return;
    }
    inRetiringList = false;
    const pair = /^([A-Za-z_][A-Za-z0-9_]*):(?:\s+(.*))?$/.exec(line);
    if (!pair) return fail(lineNo, 'expected "key: value"');
    const key = pair[1] ?? '';
    const value = (pair[2] ?? '').trim();
    if (fields.has(key) || (key === 'retiring' && retiring !== undefined)) fail(lineNo, `"${key}" appears more than once`);
    if (key === 'retiring') {
      retiring = [];
      if (value === '') inRetiringList = true;
      else if (!/^\[\s*\]$/.test(value)) fail(lineNo, 'retiring must be a list of "- /path" lines or []');
      return;
    }
    if (key !== 'schema_version' && key !== 'active') fail(lineNo, `unknown key "${key}"`);
    fields.set(key, unquote(value, () => fail(lineNo, 'unbalanced quotes')));
  });
  if (fields.get('schema_version') !== '1') fail(undefined, 'schema_version must be 1');
  const active = fields.get('active');
  if (active === undefined || active === '') return fail(undefined, 'active is missing');
  const retiringPaths = retiring ?? [];
  if (retiringPaths.length > MAX_RETIRING_KEYS) fail(undefined, `at most ${MAX_RETIRING_KEYS} retiring keys are allowed, got ${retiringPaths.length}`);
  for (const path of [active, ...retiringPaths]) {
    if (!isAbsolute(path)) fail(undefined, `key path ${JSON.stringify(path)} is not absolute`);
  }
  return { active, retiring: retiringPaths };
}

/**
 * Loads a keyring: the keyring file and every key file it names are read with the strict
 * secret-file rules (a writable keyring file would let someone substitute the active key).
 */
export async function loadKeyring(keyringPath: string, options: ReadSecretFileOptions = {}): Promise<Keyring> {
  const spec = parseKeyringFile(readSecretFile(keyringPath, options), `keyring file ${keyringPath}`);
  const load = (path: string): MasterKey => MasterKey.fromBase64(readSecretFile(path, options), `key file ${path}`);
  return new Keyring(load(spec.active), spec.retiring.map(load));
}

/** Loads a single-key keyring from one key file (no rotation configured). */
export async function loadSingleKey(keyPath: string, options: ReadSecretFileOptions = {}): Promise<Keyring> {
  return new Keyring(MasterKey.fromBase64(readSecretFile(keyPath, options), `key file ${keyPath}`));
}

function stripComment(line: string): string {
  if (/^\s*#/.test(line)) return '';
  const hash = line.search(/\s#/);
  return hash === -1 ? line : line.slice(0, hash);
}

function unquote(value: string, onError: () => never): string {
  const quote = value[0];
  if (quote === '"' || quote === "'") {
    if (value.length < 2 || value[value.length - 1] !== quote) onError();
    return value.slice(1, -1);
  }
  if (value.endsWith('"') || value.endsWith("'")) onError();
  return value;
}

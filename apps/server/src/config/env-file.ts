import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/**
 * Parses a systemd/dotenv style env file.
 *
 * Unlike the original loader, a quoted value keeps everything between its quotes
 * (spaces included) and an unquoted value keeps the whole rest of the line up to an
 * inline ` #` comment, so `DJANGO_ALLOWED_HOSTS=a b` is never silently truncated.
 */
export function parseEnvFile(text: string, fileLabel = 'env file'): Map<string, string> {
  const values = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const raw = lines[index] ?? '';
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice('export '.length).trimStart();
    const eq = line.indexOf('=');
    if (eq <= 0) {
      throw new ConfigError(`${fileLabel}:${index + 1}`, 'a line without NAME=value', 'NAME=value lines, # comments and blank lines');
    }
    const name = line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ConfigError(`${fileLabel}:${index + 1}`, 'an invalid variable name', 'names of letters, digits and _');
    }
    values.set(name, parseValue(line.slice(eq + 1).trim(), `${fileLabel}:${index + 1}`));
  }
  return values;
}

function parseValue(value: string, where: string): string {
  if (value.startsWith('"') || value.startsWith("'")) {
    const quote = value[0] as string;
    let out = '';
    let i = 1;
    for (; i < value.length; i += 1) {
      const ch = value[i] as string;
      if (ch === quote) break;
      if (quote === '"' && ch === '\\' && i + 1 < value.length) {
        const next = value[i + 1] as string;
        out += next === 'n' ? '\n' : next;
        i += 1;
        continue;
      }
      out += ch;
    }
    if (i >= value.length) throw new ConfigError(where, 'an unterminated quoted value', 'a value closed by the same quote');
    const rest = value.slice(i + 1).trim();
    if (rest !== '' && !rest.startsWith('#')) {
      throw new ConfigError(where, 'text after a closing quote', 'one quoted value per line, optionally followed by a # comment');
    }
    return out;
  }
  const comment = value.search(/\s#/);
  return (comment >= 0 ? value.slice(0, comment) : value).trim();
}

/** Reads and parses an env file; an unreadable file is a configuration error. */
export function readEnvFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError('env file', `${path} could not be read (${code})`, 'a readable file, or no file at that path');
  }
  return parseEnvFile(text, path);
}

import { ConfigError, describeShape } from './errors.js';

const TRUE_STRICT = new Set(['1', 'true', 'yes', 'on']);
const FALSE_STRICT = new Set(['0', 'false', 'no', 'off']);
const TRUE_DEBUG = new Set([...TRUE_STRICT, 'y', 't']);
const FALSE_DEBUG = new Set([...FALSE_STRICT, 'n', 'f']);

/**
 * Booleans of the hub and server flags: 1/true/yes/on and 0/false/no/off.
 * Anything else is refused instead of being read as false, so a typo cannot
 * silently switch a safety check off.
 */
export function parseFlag(variable: string, raw: string, style: 'strict' | 'debug' = 'strict'): boolean {
  const value = raw.trim().toLowerCase();
  const [yes, no] = style === 'debug' ? [TRUE_DEBUG, FALSE_DEBUG] : [TRUE_STRICT, FALSE_STRICT];
  if (yes.has(value)) return true;
  if (no.has(value)) return false;
  throw new ConfigError(variable, describeShape(raw), `${[...yes].join(', ')} or ${[...no].join(', ')}`);
}

export function parseInteger(variable: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = raw.trim();
  if (!/^-?\d+$/.test(value)) throw new ConfigError(variable, describeShape(raw), `a whole number from ${min} to ${max}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(variable, `the number ${value}`, `a whole number from ${min} to ${max}`);
  }
  return n;
}

export function parseEnum<T extends string>(variable: string, raw: string, allowed: readonly T[], caseInsensitive = true): T {
  const value = caseInsensitive ? raw.trim().toLowerCase() : raw.trim();
  const hit = allowed.find((a) => a === value);
  if (hit === undefined) throw new ConfigError(variable, `"${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}"`, allowed.join(' | '));
  return hit;
}

/** JSON list or string, Python list/tuple literal, or comma-separated text. */
export function parseList(variable: string, raw: string): string[] {
  const value = raw.trim();
  if (value === '') return [];
  if (value.startsWith('[') || value.startsWith('(')) {
    try {
      const parsed: unknown = JSON.parse(value.startsWith('(') ? `[${value.slice(1, -1)}]` : value);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return clean(parsed);
    } catch {
      // fall through to the Python literal form
    }
    const inner = value.slice(1, -1);
    const items = [...inner.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2] ?? '');
    if (items.length > 0 && inner.replace(/'[^']*'|"[^"]*"|[\s,]/g, '') === '') return clean(items);
    throw new ConfigError(variable, 'a bracketed value that is not a list of strings', 'a JSON list, a Python list literal or comma-separated values');
  }
  if (value.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === 'string') return parseList(variable, parsed);
    } catch {
      // treat as plain text below
    }
  }
  return clean(value.split(','));
}

function clean(items: string[]): string[] {
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** Host names: any scheme and trailing slash removed. */
export function normaliseHost(host: string): string {
  return host.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

/** Origins: trailing slash removed; scheme-less values get http:// for loopback, else https://. */
export function normaliseOrigin(variable: string, origin: string): string {
  let value = origin.trim().replace(/\/+$/, '');
  if (value === '*') throw new ConfigError(variable, 'the wildcard *', 'explicit origins (credentials are allowed, so * is never accepted)');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    value = /localhost|127\.0\.0\.1/.test(value) ? `http://${value}` : `https://${value}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, describeShape(origin), 'origins like https://host[:port]');
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ConfigError(variable, `an origin with a path (${origin})`, 'origins like https://host[:port] without a path');
  }
  return value;
}

import type { SapValueType } from './sap-templates.js';

/**
 * Value semantics of the original converter (Python): whitespace as `str.strip()` sees it,
 * header matching by `casefold()`, and naive local timestamps from a fixed list of
 * `strptime` formats. Kept in one module so the output stays byte-identical.
 */

/** A naive (zone-less) timestamp, as the SAP export writes it. */
export interface SapDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
}

export type SapValue = string | number | boolean | SapDateTime | null;

// Python's str.isspace() set; JavaScript's trim() differs (it strips U+FEFF, keeps U+001C–U+001F and U+0085).
function isPyWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

export function pyStrip(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isPyWhitespace(value.charCodeAt(start))) start += 1;
  while (end > start && isPyWhitespace(value.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** Approximates Python's `str.casefold()` (ß → ss, ligatures unfolded). */
export function casefold(value: string): string {
  return value.toUpperCase().toLowerCase();
}

/** Header key used for template matching: stripped and case-folded. */
export function headerKey(header: string): string {
  return casefold(pyStrip(header));
}

function normalizeScalar(value: string | null): string | null {
  if (value === null) return null;
  const stripped = pyStrip(value);
  return stripped === '' ? null : stripped;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'y', 'ja']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'n', 'nein']);

function parseBool(value: string | null): boolean | null {
  const text = normalizeScalar(value);
  if (text === null) return null;
  const lowered = casefold(text);
  if (TRUE_WORDS.has(lowered)) return true;
  if (FALSE_WORDS.has(lowered)) return false;
  return null;
}

function parseInt10(value: string | null): number | null {
  const text = normalizeScalar(value);
  if (text === null || !/^[+-]?\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

// The sub-patterns of CPython's _strptime for %Y %m %d %H %M %S %f; whitespace in a format matches \s+.
const Y = '(\\d{4})';
const MO = '(1[0-2]|0[1-9]|[1-9])';
const D = '(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])';
const H = '(2[0-3]|[0-1]\\d|\\d)';
const MI = '([0-5]\\d|\\d)';
const S = '(6[0-1]|[0-5]\\d|\\d)';
const F = '(\\d{1,6})';
const ISO_FORMAT = new RegExp(`^${Y}-${MO}-${D}(?:\\s+${H}:${MI}(?::${S}(?:\\.${F})?)?)?$`);
const GERMAN_FORMAT = new RegExp(`^${D}\\.${MO}\\.${Y}(?:\\s+${H}:${MI}(?::${S})?)?$`);

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]` or `DD.MM.YYYY[ HH:MM[:SS]]` (a `T` counts as a space); else null. */
export function parseSapDateTime(value: string | null): SapDateTime | null {
  const text = normalizeScalar(value);
  if (text === null) return null;
  const candidate = text.replaceAll('T', ' ');
  let parts: { y: string; mo: string; d: string; h?: string; mi?: string; s?: string; f?: string } | undefined;
  const iso = ISO_FORMAT.exec(candidate);
  if (iso) parts = { y: iso[1]!, mo: iso[2]!, d: iso[3]!, h: iso[4], mi: iso[5], s: iso[6], f: iso[7] };
  const german = iso ? null : GERMAN_FORMAT.exec(candidate);
  if (german) parts = { d: german[1]!, mo: german[2]!, y: german[3]!, h: german[4], mi: german[5], s: german[6] };
  if (!parts) return null;
  const result: SapDateTime = {
    year: Number(parts.y),
    month: Number(parts.mo),
    day: Number(parts.d.trim()),
    hour: parts.h === undefined ? 0 : Number(parts.h),
    minute: parts.mi === undefined ? 0 : Number(parts.mi),
    second: parts.s === undefined ? 0 : Number(parts.s),
    microsecond: parts.f === undefined ? 0 : Number(parts.f.padEnd(6, '0')),
  };
  // strptime accepts second 60/61 and any day 1-31, but building the datetime then fails.
  if (result.year < 1 || result.second > 59 || result.day > daysInMonth(result.year, result.month)) return null;
  return result;
}

export function isSapDateTime(value: SapValue | undefined): value is SapDateTime {
  return typeof value === 'object' && value !== null;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Python `datetime.date().isoformat()`. */
export function formatDate(t: SapDateTime): string {
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
}

/** Python `datetime.time().replace(microsecond=0).isoformat()`. */
export function formatTime(t: SapDateTime): string {
  return `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
}

/** Python `datetime.isoformat(sep=" ", timespec="seconds")`. */
export function formatDateTimeSeconds(t: SapDateTime): string {
  return `${formatDate(t)} ${formatTime(t)}`;
}

/** A string that sorts like the timestamp. */
export function dateTimeSortKey(t: SapDateTime): string {
  return `${formatDate(t)}T${formatTime(t)}.${pad(t.microsecond, 6)}`;
}

export function coerceValue(raw: string | null, type: SapValueType): SapValue {
  switch (type) {
    case 'str':
      return normalizeScalar(raw);
    case 'int':
      return parseInt10(raw);
    case 'bool':
      return parseBool(raw);
    case 'datetime':
      return parseSapDateTime(raw);
  }
}

const GENDER_ALIASES: ReadonlyMap<string, string> = new Map([
  ['m', 'male'],
  ['male', 'male'],
  ['männlich', 'male'],
  ['maennlich', 'male'],
  ['w', 'female'],
  ['f', 'female'],
  ['female', 'female'],
  ['weiblich', 'female'],
  ['d', 'other'],
  ['divers', 'other'],
  ['other', 'other'],
  ['u', 'unknown'],
  ['unbekannt', 'unknown'],
  ['unknown', 'unknown'],
]);

/** German and English spellings to male/female/other/unknown; anything else is kept as written. */
export function normalizeGender(value: SapValue | undefined): string | null {
  if (typeof value !== 'string') return null;
  const text = normalizeScalar(value);
  if (text === null) return null;
  return GENDER_ALIASES.get(casefold(text)) ?? text;
}

/** Python truthiness of a canonical value, as the original's `if value:` tests use it. */
export function truthy(value: SapValue | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return value !== '';
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  return true;
}

/** Python `str(value)` for the values a summary line prints. */
export function pyStr(value: SapValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'object') return `${formatDate(value)} ${formatTime(value)}${value.microsecond ? `.${pad(value.microsecond, 6)}` : ''}`;
  return String(value);
}

/** Compares strings by code point, as Python sorts `str` (UTF-16 order differs only around surrogates). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (astral code points) must sort above U+E000..U+FFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

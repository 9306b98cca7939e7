/**
 * German date handling: `DD.MM.YYYY`, `D.M.YY`, `12. März 2024`, `12. Mär. 2024`,
 * ISO `YYYY-MM-DD` and the slash/dash variants found in reports and OCR output.
 * Dates are exchanged as ISO `YYYY-MM-DD` strings (calendar dates, no time zone).
 */

const MONTHS: ReadonlyArray<readonly [number, RegExp]> = [
  [1, /^(januar|jänner|jaenner|jan)$/],
  [2, /^(februar|feber|feb)$/],
  [3, /^(märz|maerz|marz|mär|mrz|maer)$/],
  [4, /^(april|apr)$/],
  [5, /^(mai)$/],
  [6, /^(juni|jun)$/],
  [7, /^(juli|jul)$/],
  [8, /^(august|aug)$/],
  [9, /^(september|sept|sep)$/],
  [10, /^(oktober|okt)$/],
  [11, /^(november|nov)$/],
  [12, /^(dezember|dez)$/],
];
const MONTH_WORD = '(?:Januar|J[äa]e?nner|Jan|Februar|Feber|Feb|M[äa]e?rz|M[äa]e?r|Mrz|April|Apr|Mai|Juni|Jun|Juli|Jul|August|Aug|September|Sept|Sep|Oktober|Okt|November|Nov|Dezember|Dez)';

const NUMERIC = '(?<![\\d.,])(\\d{1,2})\\s?[.,]\\s?(\\d{1,2})\\s?[.,]\\s?(\\d{4}|\\d{2})(?![\\d])';
const WORDED = `(?<!\\d)(\\d{1,2})\\.?\\s*(${MONTH_WORD})\\.?\\s*(\\d{4}|\\d{2})(?!\\d)`;
const ISO = '(?<!\\d)(\\d{4})-(\\d{1,2})-(\\d{1,2})(?!\\d)';
const SLASHED = '(?<![\\d/])(\\d{1,2})[/-](\\d{1,2})[/-](\\d{4})(?!\\d)';

/** A regular expression source matching any supported date, for use inside extraction rules. */
export const DATE_PATTERN = `(?:${NUMERIC}|${WORDED}|${ISO}|${SLASHED})`.replace(/\(\?<!?[^)]*\)|\((?!\?)/g, (m) => (m === '(' ? '(?:' : m));

function monthNumber(word: string): number | undefined {
  const w = word.toLowerCase().replace(/\.$/, '');
  return MONTHS.find(([, re]) => re.test(w))?.[0];
}

/** Two-digit years: up to the current year's two digits are 20xx, the rest 19xx. */
export function expandYear(year: number, today: Date = new Date()): number {
  if (year >= 100) return year;
  const pivot = today.getUTCFullYear() % 100;
  return year <= pivot ? 2000 + year : 1900 + year;
}

export function isoDate(year: number, month: number, day: number): string | undefined {
  if (!Number.isInteger(year) || year < 1800 || year > 2200 || month < 1 || month > 12 || day < 1) return undefined;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export interface FoundDate {
  readonly iso: string;
  readonly start: number;
  readonly end: number;
}

/** Every valid date in `text`, in order, with its offsets. */
export function findDates(text: string): FoundDate[] {
  const found: FoundDate[] = [];
  const push = (iso: string | undefined, start: number, end: number): void => {
    if (iso && !found.some((f) => start < f.end && f.start < end)) found.push({ iso, start, end });
  };
  for (const m of text.matchAll(new RegExp(WORDED, 'giu'))) {
    const month = monthNumber(m[2] as string);
    if (month) push(isoDate(expandYear(Number(m[3])), month, Number(m[1])), m.index, m.index + m[0].length);
  }
  for (const m of text.matchAll(new RegExp(NUMERIC, 'g'))) push(isoDate(expandYear(Number(m[3])), Number(m[2]), Number(m[1])), m.index, m.index + m[0].length);
  for (const m of text.matchAll(new RegExp(ISO, 'g'))) push(isoDate(Number(m[1]), Number(m[2]), Number(m[3])), m.index, m.index + m[0].length);
  for (const m of text.matchAll(new RegExp(SLASHED, 'g'))) push(isoDate(Number(m[3]), Number(m[2]), Number(m[1])), m.index, m.index + m[0].length);
  return found.sort((a, b) => a.start - b.start);
}

/**
 * Parses one date written in any supported German form (or ISO) and returns it
 * as `YYYY-MM-DD`; `undefined` for anything else, including impossible dates.
 */
export function parseGermanDate(value: string): string | undefined {
  const trimmed = value.trim();
  const dates = findDates(trimmed);
  const only = dates[0];
  if (dates.length !== 1 || !only || only.start !== 0 || only.end !== trimmed.length) return undefined;
  return only.iso;
}

/** `DD.MM.YYYY` for an ISO date. */
export function formatGermanDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
}

/** Compact spellings of a date that a tokenizer sees as one token (`03071958`, `19580703`, `030758`). */
export function compactDateForms(iso: string): string[] {
  const [y, m, d] = iso.split('-') as [string, string, string];
  return [`${d}${m}${y}`, `${y}${m}${d}`, `${d}${m}${y.slice(2)}`];
}

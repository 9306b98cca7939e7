/** German dates (DD.MM.YYYY) as the validation form takes them; ISO (YYYY-MM-DD) at the model boundary. */
const GERMAN = /^(\d{2})\.(\d{2})\.(\d{4})$/;

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export function parseGermanDate(text: string): CalendarDate | undefined {
  const m = GERMAN.exec(text.trim());
  if (!m) return undefined;
  const day = Number(m[1]);
  const month = Number(m[2]);
  const year = Number(m[3]);
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1) return undefined;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > last) return undefined;
  return { year, month, day };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export const formatGermanDate = (d: CalendarDate): string => `${pad(d.day)}.${pad(d.month)}.${pad(d.year, 4)}`;
export const toIsoDate = (d: CalendarDate): string => `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;

/** Accepts ISO dates or timestamps (the server's format) and German dates; anything else → ''. */
export function isoToGerman(value: string | null | undefined): string {
  if (!value) return '';
  if (GERMAN.test(value)) return value;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : '';
}

export const compareDates = (a: CalendarDate, b: CalendarDate): number => a.year - b.year || a.month - b.month || a.day - b.day;

/** Formats an ISO timestamp for tables: `26.11.2026, 14:03`. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  return `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()}, ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

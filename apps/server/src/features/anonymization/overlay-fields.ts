import type { OverlayField } from '../knowledge-base/index.js';
import { findDates, fold } from './identifiers/index.js';

/*
 * Parsing of what OCR read inside one overlay rectangle. Pure functions: the input is the
 * text of a single crop, the output a normalised value or undefined when the text does not
 * look like the field (OCR of an empty or noisy crop must not invent a name).
 * Dates come out as ISO `YYYY-MM-DD`, times as `HH:MM[:SS]`, names as written (umlauts kept).
 */

const NAME_LABEL = /^(?:(?:pat(?:ient(?:in)?)?|name|nachname|vorname|familienname|first\s*name|last\s*name|given\s*name|surname)\s*\.?\s*[:;.,]?\s*)+/iu;
const DATE_LABEL = /^(?:(?:geb(?:oren|\.?\s*dat(?:um)?)?|geburtsdatum|dob|d\.?\s*o\.?\s*b|birth(?:\s*date)?|datum|date|unters(?:uchung)?)\s*\.?\s*[:;.,]?\s*)+/iu;
const SCOPE_LABEL = /^(?:(?:scope|endoskop|endoscope|typ|type|model(?:l)?|gerät)\s*\.?\s*[:;.,]?\s*)+/iu;
const SERIAL_LABEL = /^(?:(?:s\s*\/\s*n|sn|ser(?:ien)?\s*\.?\s*-?\s*n(?:r|o|ummer)?|serial(?:\s*no)?|nr)\s*\.?\s*[:;.,#]?\s*)+/iu;
const CASE_LABEL = /^(?:(?:fall(?:nr|nummer)?|case(?:\s*no)?|pat\s*\.?\s*-?\s*id|id|auftrag(?:snr)?)\s*\.?\s*[:;.,#]?\s*)+/iu;

/** Characters tesseract confuses with digits, mapped inside number-like tokens only. */
const DIGIT_LOOKALIKES: Record<string, string> = { O: '0', o: '0', Q: '0', D: '0', I: '1', l: '1', '|': '1', '!': '1', S: '5', B: '8', Z: '2' };

function digitize(text: string): string {
  return text.replace(/[0-9OoQDIl|!SBZ.,:/-]{4,}/g, (token) => {
    const digits = (token.match(/\d/g) ?? []).length;
    return digits >= 2 ? token.replace(/[OoQDIl|!SBZ]/g, (c) => DIGIT_LOOKALIKES[c] ?? c) : token;
  });
}

function singleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * A person's name as shown in an overlay: labels such as "Name:" stripped, surrounding
 * OCR debris dropped, letters (with umlauts and ß), hyphens, apostrophes and inner
 * spaces kept. Anything with digits inside is not a name.
 */
export function parseOverlayName(text: string): string | undefined {
  let value = singleLine(text).replace(NAME_LABEL, '');
  value = value.replace(/^[^\p{L}\p{N}]+/u, '').replace(/[^\p{L}\p{N}]+$/u, '');
  if (/\d/.test(value)) return undefined;
  if (/[^\p{L}\p{M}\s'’\-.]/u.test(value)) return undefined;
  value = value.replace(/\s*-\s*/g, '-').replace(/\s+/g, ' ');
  const letters = (value.match(/\p{L}/gu) ?? []).length;
  if (letters < 2 || value.length > 60) return undefined;
  // A lone lower-case fragment is OCR noise far more often than a name.
  if (!/\p{Lu}/u.test(value)) return undefined;
  return value;
}

/** A calendar date in German notation (`DD.MM.YYYY`, `DD.MM.YY`, …) → ISO `YYYY-MM-DD`. */
export function parseOverlayDate(text: string): string | undefined {
  const value = digitize(singleLine(text)).replace(DATE_LABEL, '');
  const dates = findDates(value);
  return dates.length === 1 ? dates[0]!.iso : undefined;
}

/** A clock time `H:MM` or `HH:MM:SS` → `HH:MM[:SS]`. */
export function parseOverlayTime(text: string): string | undefined {
  const value = digitize(singleLine(text));
  const matches = [...value.matchAll(/(?<!\d)(\d{1,2})\s?[:.]\s?(\d{2})(?:\s?[:.]\s?(\d{2}))?(?!\d)/g)];
  if (matches.length !== 1) return undefined;
  const [, h, m, s] = matches[0]!;
  const hours = Number(h);
  const minutes = Number(m);
  const seconds = s === undefined ? undefined : Number(s);
  if (hours > 23 || minutes > 59 || (seconds !== undefined && seconds > 59)) return undefined;
  const hhmm = `${String(hours).padStart(2, '0')}:${m}`;
  return seconds === undefined ? hhmm : `${hhmm}:${s}`;
}

/** An endoscope model such as `CF-HQ190L` or `GIF-H190`: letters, digits and hyphens with at least one digit. */
export function parseEndoscopeType(text: string): string | undefined {
  const value = singleLine(text).replace(SCOPE_LABEL, '').replace(/\s*-\s*/g, '-').replace(/^[^\p{L}\d]+|[^\p{L}\d]+$/gu, '');
  if (!/^[A-Za-z]{1,6}(?:-?[A-Za-z0-9]{1,12}){1,3}$/.test(value) || !/\d/.test(value)) return undefined;
  return value.toUpperCase();
}

/** An endoscope serial number: 4–16 letters/digits with at least three digits. */
export function parseEndoscopeSerial(text: string): string | undefined {
  const value = digitize(singleLine(text).replace(SERIAL_LABEL, '')).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (!/^[A-Za-z0-9]{4,16}$/.test(value) || (value.match(/\d/g) ?? []).length < 3) return undefined;
  return value.toUpperCase();
}

/** A case number as hospitals print it: letters, digits, `-` and `/`, at least three digits. */
export function parseCaseNumber(text: string): string | undefined {
  const value = singleLine(text).replace(CASE_LABEL, '').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9/-]{2,23}$/.test(value) || (value.match(/\d/g) ?? []).length < 3) return undefined;
  return value.toUpperCase();
}

const PARSERS: Record<OverlayField, (text: string) => string | undefined> = {
  patient_last_name: parseOverlayName,
  patient_first_name: parseOverlayName,
  patient_dob: parseOverlayDate,
  examination_date: parseOverlayDate,
  examination_time: parseOverlayTime,
  casenumber: parseCaseNumber,
  endoscope_type: parseEndoscopeType,
  endoscope_sn: parseEndoscopeSerial,
};

/** Parses the OCR text of one overlay field's crop. */
export function parseOverlayField(field: OverlayField, text: string): string | undefined {
  return PARSERS[field](text);
}

/** Values that count as the same vote: names compare case- and umlaut-folded ("MÜLLER" = "Mueller"). */
export function overlayVoteKey(field: OverlayField, value: string): string {
  return field === 'patient_first_name' || field === 'patient_last_name' ? fold(value).replace(/[^a-z]/g, '') : value;
}

import { DATE_PATTERN, parseGermanDate } from './german-dates.js';
import { NAME_PARTICLES } from './normalize.js';
import type { ExtractedField, ExtractedIdentifiers, IdentifierField } from './types.js';

/**
 * Rule-based extraction of identifiers from German endoscopy report text. Each
 * rule finds a label ("Patient:", "geb. am", "Fallnr.", "Untersucher:",
 * "Endoskop:" …) and reads the value after it; names are read in both the
 * "Name, Vorname" and the "Vorname Name" form (an all-caps word is the family
 * name). Every field carries a confidence; the most confident reading wins.
 */
export function extractIdentifiersByRules(text: string): ExtractedIdentifiers {
  const found = new Candidates();
  const source = text.replace(/\r\n?/g, '\n').replace(/[ \t\u00a0]+/g, ' ');

  readPatientNames(source, found);
  readDates(source, found);
  readNumbers(source, found);
  readExaminer(source, found);
  readEndoscope(source, found);
  readGender(source, found);
  return found.result();
}

class Candidates {
  readonly #best = new Map<IdentifierField, ExtractedField>();
  readonly #conflicts = new Set<IdentifierField>();

  add(field: IdentifierField, value: string | undefined, confidence: number): void {
    if (value === undefined || value.trim() === '') return;
    const current = this.#best.get(field);
    if (current && current.value.toLowerCase() !== value.toLowerCase() && Math.abs(current.confidence - confidence) < 0.05) this.#conflicts.add(field);
    if (!current || confidence > current.confidence) this.#best.set(field, { value: value.trim(), confidence, source: 'rules' });
  }

  has(field: IdentifierField): boolean {
    return this.#best.has(field);
  }

  hasValue(field: IdentifierField, value: string): boolean {
    return this.#best.get(field)?.value === value;
  }

  result(): ExtractedIdentifiers {
    const out: ExtractedIdentifiers = {};
    for (const [field, candidate] of this.#best) {
      // Two equally sure, different readings: keep the first, but say it is doubtful.
      out[field] = this.#conflicts.has(field) ? { ...candidate, confidence: Math.round(candidate.confidence * 60) / 100 } : candidate;
    }
    return out;
  }
}

const UPPER = 'A-ZÄÖÜ';
const LOWER = 'a-zäöüßéèêáàâçñíóú';
const NAME_WORD = new RegExp(`^(?:[${UPPER}][${LOWER}]+|[${UPPER}]{2,})(?:-(?:[${UPPER}][${LOWER}]+|[${UPPER}]{2,}))*$`, 'u');
const ALL_CAPS = new RegExp(`^[${UPPER}]{2,}(?:-[${UPPER}]{2,})*$`, 'u');
const HONORIFIC = /^(herrn?|hr\.?|frau|fr\.?)$/i;
const TITLE = /^(dr\.?|prof\.?|med\.?|pd|priv\.-?doz\.?|dipl\.-?med\.?|univ\.?|habil\.?|dent\.?|mult\.?|oa|oä|ca|fa|fä)$/i;
/** Words that look like names but are labels, titles or report vocabulary. */
const NOT_A_NAME = new Set(
  [
    'patient', 'patientin', 'name', 'vorname', 'nachname', 'geb', 'geboren', 'geburtsdatum', 'fall', 'fallnr', 'fallnummer',
    'untersucher', 'untersucherin', 'datum', 'endoskop', 'befund', 'klinik', 'station', 'arzt', 'ärztin', 'und', 'der', 'die',
    'das', 'am', 'vom', 'mit', 'bei', 'oberarzt', 'oberärztin', 'chefarzt', 'assistenzarzt', 'facharzt', 'sn', 'nr', 'id',
    'koloskopie', 'gastroskopie', 'endoskopie', 'untersuchung', 'bericht', 'geschlecht', 'männlich', 'weiblich', 'divers',
  ].map((w) => w.toLowerCase()),
);

/** Reads one value line: from `offset` to the end of the line (or the next line when the label ends one). */
function valueAfter(text: string, offset: number): string {
  let rest = text.slice(offset).replace(/^[ :.]*/, '');
  if (rest.startsWith('\n')) rest = rest.slice(1);
  const end = rest.indexOf('\n');
  return (end === -1 ? rest : rest.slice(0, end)).trim();
}

/** Cuts a name value at the first thing that is not part of the name (a date, a label, a bracket). */
function cutNameSegment(segment: string): string {
  const stop = segment.search(/\s\*|\*|\bgeb\b|\bGeb\b|\bgeboren|\bFall|\bUntersuch|\bGeschl|\bAlter\b|\bDatum\b|\bStation\b|\bPID\b|\bPat\.?-?(?:ID|Nr)|[;(\d/|]|\s[-–]\s/u);
  return (stop === -1 ? segment : segment.slice(0, stop)).trim().replace(/[,.:]+$/, '');
}

function titleCase(word: string): string {
  return ALL_CAPS.test(word) ? word.toLowerCase().replace(/(^|-)(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase()) : word;
}

function isNameWord(word: string): boolean {
  return NAME_WORD.test(word) && !NOT_A_NAME.has(word.toLowerCase().replace(/\.$/, ''));
}

export interface NameReading {
  readonly first?: string;
  readonly last?: string;
  readonly confidence: number;
  readonly gender?: 'male' | 'female';
}

/** Reads "Name, Vorname", "Vorname Name", "NAME Vorname" (titles and Herr/Frau dropped). */
export function readName(segment: string): NameReading | undefined {
  let gender: 'male' | 'female' | undefined;
  const words = (part: string): string[] =>
    part
      .split(/\s+/)
      .filter((w) => w !== '')
      .filter((w) => {
        if (HONORIFIC.test(w)) {
          gender = /^f/i.test(w) ? 'female' : 'male';
          return false;
        }
        return !TITLE.test(w);
      });
  const nameOf = (ws: string[]): string | undefined => {
    const valid = ws.filter((w) => isNameWord(w) || NAME_PARTICLES.has(w.toLowerCase()));
    if (valid.length === 0 || valid.length !== ws.length || valid.every((w) => NAME_PARTICLES.has(w.toLowerCase()))) return undefined;
    return valid.map(titleCase).join(' ');
  };
  const comma = segment.indexOf(',');
  if (comma !== -1) {
    const last = nameOf(words(segment.slice(0, comma)));
    const first = nameOf(words(segment.slice(comma + 1).split(',')[0] ?? ''));
    if (last && first) return { last, first, confidence: 0.9, gender };
    if (last) return { last, confidence: 0.55, gender };
    return undefined;
  }
  const ws = words(segment);
  if (ws.length === 0 || !ws.every((w) => isNameWord(w) || NAME_PARTICLES.has(w.toLowerCase()))) return undefined;
  if (ws.length === 1) return { last: titleCase(ws[0] as string), confidence: 0.5, gender };
  const caps = ws.filter((w) => ALL_CAPS.test(w));
  if (caps.length === 1 && ws.length > 1) {
    // "MÜLLER Hans" / "Hans MÜLLER": the all-caps word is the family name (with its particles).
    const index = ws.indexOf(caps[0] as string);
    let start = index;
    while (start > 0 && NAME_PARTICLES.has((ws[start - 1] as string).toLowerCase())) start -= 1;
    const last = ws.slice(start, index + 1).map(titleCase).join(' ');
    const first = [...ws.slice(0, start), ...ws.slice(index + 1)].map(titleCase).join(' ');
    return first ? { first, last, confidence: 0.85, gender } : { last, confidence: 0.5, gender };
  }
  let lastStart = ws.length - 1;
  while (lastStart > 0 && NAME_PARTICLES.has((ws[lastStart - 1] as string).toLowerCase())) lastStart -= 1;
  if (lastStart === 0) return { last: ws.map(titleCase).join(' '), confidence: 0.5, gender };
  return { first: ws.slice(0, lastStart).map(titleCase).join(' '), last: ws.slice(lastStart).map(titleCase).join(' '), confidence: 0.75, gender };
}

/** All words of a value that are name words, title-cased; undefined when any word is not. */
function nameWords(segment: string): string | undefined {
  const words = segment.split(/\s+/).filter((w) => w !== '' && !HONORIFIC.test(w) && !TITLE.test(w));
  if (words.length === 0 || !words.every((w) => isNameWord(w) || NAME_PARTICLES.has(w.toLowerCase()))) return undefined;
  return words.map(titleCase).join(' ');
}

/** Labels are only recognised at a word start, never inside words ("Vorname" is not "Name"). */
const label = (source: string): RegExp => new RegExp(`(?<![\\p{L}\\p{N}])(?:${source})`, 'giu');

function readPatientNames(text: string, found: Candidates): void {
  const firstLabel = label('Vorname\\s*:').exec(text);
  if (firstLabel) {
    // Separate fields: "Vorname: Hans" with "Name: Müller" (or Nachname/Familienname).
    const first = nameWords(cutNameSegment(valueAfter(text, firstLabel.index + firstLabel[0].length)));
    const lastLabel = label('Nachname\\s*:|Familienname\\s*:|Name\\s*:').exec(text);
    const last = lastLabel ? nameWords(cutNameSegment(valueAfter(text, lastLabel.index + lastLabel[0].length))) : undefined;
    found.add('patient_first_name', first, 0.9);
    found.add('patient_last_name', last, 0.9);
  }
  for (const m of text.matchAll(label('Patient(?:in)?|Pat\\.|Patientenname|Name\\s+des\\s+Patienten|Name'))) {
    const after = text.slice(m.index + m[0].length);
    // A label is followed by a colon (or is "Pat." / "Patient" directly followed by a name).
    if (!/^\s*:/.test(after) && !/^Pat\./i.test(m[0]) && !/^\s+(?:Herrn?|Frau)\b/.test(after)) continue;
    const reading = readName(cutNameSegment(valueAfter(text, m.index + m[0].length)));
    if (!reading) continue;
    if (reading.first) found.add('patient_first_name', reading.first, reading.confidence);
    if (reading.last && (reading.first || !found.has('patient_last_name'))) found.add('patient_last_name', reading.last, reading.confidence);
    if (reading.gender) found.add('patient_gender', reading.gender, 0.8);
    if (/^Patientin$/i.test(m[0])) found.add('patient_gender', 'female', 0.7);
  }
}

function readDates(text: string, found: Candidates): void {
  const dob = label(`(?:geb\\.?(?:\\s*am)?|geboren(?:\\s*am)?|Geburtsdatum|Geb\\.?-?\\s*Datum|Geb\\.?\\s*Dat\\.?)\\s*:?\\s*(${DATE_PATTERN})`);
  for (const m of text.matchAll(dob)) found.add('patient_dob', parseGermanDate(m[1] as string), 0.95);
  for (const m of text.matchAll(new RegExp(`\\*\\s?(${DATE_PATTERN})`, 'gu'))) found.add('patient_dob', parseGermanDate(m[1] as string), 0.8);
  const exam = label(
    `(?:Untersuchungsdatum|Datum\\s+der\\s+Untersuchung|Untersuchung\\s+(?:am|vom)|Untersuchungstag|Eingriffsdatum|Endoskopie\\s+(?:am|vom)|Koloskopie\\s+(?:am|vom)|Gastroskopie\\s+(?:am|vom))\\s*:?\\s*(${DATE_PATTERN})`,
  );
  for (const m of text.matchAll(exam)) found.add('examination_date', parseGermanDate(m[1] as string), 0.9);
  if (!found.has('examination_date')) {
    // A bare "Datum:" is weak evidence; "Geb.-Datum" and the like are not it.
    for (const m of text.matchAll(new RegExp(`(?<![\\p{L}\\p{N}.\\-])Datum\\s*:\\s*(${DATE_PATTERN})`, 'giu'))) {
      const iso = parseGermanDate(m[1] as string);
      if (iso !== undefined && !found.hasValue('patient_dob', iso)) found.add('examination_date', iso, 0.6);
    }
  }
}

const ID_VALUE = '([A-Z0-9](?:[A-Z0-9/\\-.]*[A-Z0-9])?)';

function readNumbers(text: string, found: Candidates): void {
  const caseLabel = label(`(?:Fall-?\\s?(?:Nr\\.?|Nummer)|Fallnr\\.?|Fallnummer|Fall-ID|Aufnahme-?\\s?(?:Nr\\.?|nummer)|Aufnahmenr\\.?|Episoden?-?Nr\\.?)\\s*:?\\s*${ID_VALUE}`);
  for (const m of text.matchAll(caseLabel)) if (/\d/.test(m[1] as string)) found.add('casenumber', m[1], 0.9);
  const idLabel = label(`(?:Patienten-?(?:ID|Nr\\.?|nummer)|PID|Pat\\.?-?(?:ID|Nr\\.?)|PatNr\\.?|MRN)\\s*:?\\s*${ID_VALUE}`);
  for (const m of text.matchAll(idLabel)) if (/\d/.test(m[1] as string)) found.add('external_id', m[1], 0.85);
}

function readExaminer(text: string, found: Candidates): void {
  const examiner = label(
    'durch(?=\\s+(?:Prof|Dr|PD|OA|OÄ)\\.?\\s)|Untersucher(?:in)?|Untersuchende[rn]?(?:\\s+(?:Arzt|Ärztin))?|Befundende[rn]?(?:\\s+(?:Arzt|Ärztin))?|Endoskopiker(?:in)?|Befunder(?:in)?|Durchgeführt\\s+von|Untersuchung\\s+durch|Arzt|Ärztin',
  );
  for (const m of text.matchAll(examiner)) {
    const after = text.slice(m.index + m[0].length);
    if (!/^\s*:/.test(after) && !/(?:von|durch)$/i.test(m[0])) continue;
    const reading = readName(cutNameSegment(valueAfter(text, m.index + m[0].length)));
    if (!reading?.last) continue;
    if (reading.first) found.add('examiner_first_name', reading.first, Math.min(0.85, reading.confidence));
    found.add('examiner_last_name', reading.last, Math.min(0.85, reading.confidence));
  }
  if (!found.has('examiner_last_name')) {
    // A signature line "Dr. med. Vorname Name" when no label names the examiner.
    for (const m of text.matchAll(/(?:^|\n)\s*((?:Prof\.\s*)?(?:Dr\.\s*)(?:med\.\s*)?[^\n]{3,60})/gu)) {
      const reading = readName(cutNameSegment(m[1] as string));
      if (reading?.first && reading.last) {
        found.add('examiner_first_name', reading.first, 0.55);
        found.add('examiner_last_name', reading.last, 0.55);
      }
    }
  }
}

const SERIAL = /(?:\bSN|S\/N|\bSer\.?-?Nr\.?|\bSeriennr\.?|\bSeriennummer|\bSerien-Nr\.?)\s*[:.]?\s*([A-Z0-9][A-Z0-9-]{2,})/iu;

function readEndoscope(text: string, found: Candidates): void {
  for (const m of text.matchAll(label('Endoskop|Videoendoskop|Koloskop|Gastroskop|Duodenoskop|Gerät|Geraet|Instrument'))) {
    if (!/^\s*:/.test(text.slice(m.index + m[0].length))) continue;
    const value = valueAfter(text, m.index + m[0].length);
    const serial = SERIAL.exec(value);
    if (serial) found.add('endoscope_sn', serial[1], 0.9);
    const type = (serial ? value.slice(0, serial.index) : value).replace(/[(,;:\s]+$/, '').trim();
    if (type.length >= 2 && type.length <= 60) found.add('endoscope_type', type, 0.85);
  }
  if (!found.has('endoscope_sn')) {
    const serial = SERIAL.exec(text);
    if (serial) found.add('endoscope_sn', serial[1], 0.7);
  }
}

function readGender(text: string, found: Candidates): void {
  const m = label('Geschlecht\\s*:?\\s*(männlich|weiblich|divers|m|w|d)(?![\\p{L}])').exec(text);
  if (!m) return;
  const value = (m[1] as string).toLowerCase();
  found.add('patient_gender', value.startsWith('m') ? 'male' : value.startsWith('w') ? 'female' : 'divers', 0.95);
}

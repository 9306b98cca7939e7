import { createHash } from 'node:crypto';
import { fold, formatGermanDate, parseGermanDate, withinOneEdit, type IdentifierField, type PatientGender, type Replacements } from './identifiers/index.js';
import { FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES } from './pseudonymization-names.js';

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The identity a patient or examination hash is computed from. Dates are `YYYY-MM-DD`. */
export interface HashIdentity {
  readonly firstName: string;
  readonly lastName: string;
  readonly dob: string;
  /** The center's `name` (not its display name or key), as the original uses. */
  readonly centerName: string;
  readonly examinationDate?: string;
}

/**
 * The string the original hashes (endoreg-db `utils/hashs.py` `get_hash_string`):
 * first name, last name, DOB, center name, DOB **again**, examination date,
 * endoscope serial and salt, concatenated without separators; a missing date
 * is the empty string (the original's 1900-01-01 sentinel). Values are used as
 * stored, without trimming or case folding, exactly as the original does.
 *
 * Not reproducible from the original as a field: the endoscope serial. The
 * original's `calculate_patient_hash`/`calculate_examination_hash` never pass
 * it, so it is always empty there and always empty here.
 */
export function hashInput(identity: HashIdentity, salt: string, options: { withExaminationDate: boolean }): string {
  const dob = identity.dob === '1900-01-01' ? '' : identity.dob;
  const exam = options.withExaminationDate && identity.examinationDate && identity.examinationDate !== '1900-01-01' ? identity.examinationDate : '';
  const endoscopeSerial = '';
  return `${identity.firstName}${identity.lastName}${dob}${identity.centerName}${dob}${exam}${endoscopeSerial}${salt}`;
}

/**
 * Patient hash as the original computes it: `get_patient_hash` hashes the
 * input string with SHA-256, and `calculate_patient_hash` hashes that hex digest
 * with SHA-256 again. Both steps are reproduced so that hashes carried over from
 * the original (same salt) link to the same pseudo patients.
 */
export function patientHash(identity: HashIdentity, salt: string): string {
  return sha256Hex(sha256Hex(hashInput(identity, salt, { withExaminationDate: false })));
}

/** Examination hash: as the patient hash, with the examination date in the input. */
export function examinationHash(identity: HashIdentity & { examinationDate: string }, salt: string): string {
  return sha256Hex(sha256Hex(hashInput(identity, salt, { withExaminationDate: true })));
}

/** A deterministic integer in `[0, modulo)` derived from a seed and a purpose. */
function pick(seed: string, purpose: string, modulo: number): number {
  return Number(BigInt(`0x${sha256Hex(`${seed}|${purpose}`).slice(0, 13)}`) % BigInt(modulo));
}

/** Every folded word of the given real names: a pseudonym must equal none of them. */
export function avoidSet(realNames: readonly (string | null | undefined)[]): ReadonlySet<string> {
  return new Set(realNames.flatMap((n) => (n ? fold(n).split(/[^\p{L}\p{N}]+/u) : [])).filter((w) => w !== ''));
}

function pickAvoiding(pool: readonly string[], seed: string, purpose: string, avoid: ReadonlySet<string>): string {
  const start = pick(seed, purpose, pool.length);
  for (let k = 0; k < pool.length; k += 1) {
    const candidate = pool[(start + k) % pool.length] as string;
    const folded = fold(candidate);
    // Not even within the matcher's fuzzy reach of a real name, or the gate would see the real one.
    if (![...avoid].some((w) => w === folded || (w.length >= 5 && folded.length >= 5 && withinOneEdit(w, folded)))) return candidate;
  }
  return pool[start] as string;
}

export interface PseudoProfile {
  readonly firstName: string;
  readonly lastName: string;
  /** `YYYY-MM-DD`, a day within the real birth year. */
  readonly dob: string;
}

/** A random-looking but reproducible day of `year` (`YYYY-MM-DD`). */
export function dayWithinYear(seed: string, purpose: string, year: number): string {
  const start = Date.UTC(year, 0, 1);
  const days = Math.round((Date.UTC(year + 1, 0, 1) - start) / 86_400_000);
  return new Date(start + pick(seed, purpose, days) * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The pseudo patient for a patient hash: a first name from the pool of the
 * patient's gender (both pools for divers/unknown), a family name, and a DOB
 * on a day of the real birth year. Derived from the hash alone, so every run
 * (text replacement at import, pseudo patient at validation) agrees. A pseudonym
 * never equals a word of the real names in `avoid` (patient and examiner names).
 */
export function pseudoPatientProfile(hash: string, gender: PatientGender, birthYear: number, avoid: ReadonlySet<string> = new Set()): PseudoProfile {
  const pool = gender === 'female' ? FEMALE_FIRST_NAMES : gender === 'male' ? MALE_FIRST_NAMES : [...FEMALE_FIRST_NAMES, ...MALE_FIRST_NAMES];
  return {
    firstName: pickAvoiding(pool, hash, 'first_name', avoid),
    lastName: pickAvoiding(LAST_NAMES, hash, 'last_name', avoid),
    dob: dayWithinYear(hash, 'dob', birthYear),
  };
}

/** Gender from a first name found in the pools; `unknown` otherwise. */
export function guessGender(firstName: string | null | undefined): PatientGender {
  if (!firstName) return 'unknown';
  const given = fold(firstName.split(/[\s-]/)[0] ?? '');
  if (FEMALE_FIRST_NAMES.some((n) => fold(n) === given)) return 'female';
  if (MALE_FIRST_NAMES.some((n) => fold(n) === given)) return 'male';
  return 'unknown';
}

export function normalizeGender(value: string | null | undefined): PatientGender {
  const v = (value ?? '').trim().toLowerCase();
  if (['male', 'm', 'männlich', 'maennlich', 'mann'].includes(v)) return 'male';
  if (['female', 'f', 'w', 'weiblich', 'frau'].includes(v)) return 'female';
  if (['divers', 'd', 'diverse', 'other'].includes(v)) return 'divers';
  return 'unknown';
}

/**
 * The pseudonyms written into `anonymized_text` in place of each identifier.
 * Patient name and DOB come from the same profile as the pseudo patient (when
 * names and DOB are known, the seed is the patient hash); every other value is
 * keyed by the salted value itself, so re-runs over the same data agree.
 */
export function textPseudonyms(values: Partial<Record<IdentifierField, string>>, centerName: string, salt: string): Replacements {
  const dob = values.patient_dob ? parseGermanDate(values.patient_dob) : undefined;
  const exam = values.examination_date ? parseGermanDate(values.examination_date) : undefined;
  const first = values.patient_first_name;
  const last = values.patient_last_name;
  const gender = values.patient_gender ? normalizeGender(values.patient_gender) : guessGender(first);
  const seed =
    first && last && dob
      ? patientHash({ firstName: first, lastName: last, dob, centerName }, salt)
      : sha256Hex(`text-pseudonym|${salt}|${fold(first ?? '')}|${fold(last ?? '')}|${dob ?? ''}`);
  const avoid = avoidSet([first, last, values.examiner_first_name, values.examiner_last_name]);
  const profile = pseudoPatientProfile(seed, gender, dob ? Number(dob.slice(0, 4)) : 1970, avoid);
  const keyed = (field: string, value: string | undefined): string => sha256Hex(`${field}|${salt}|${fold(value ?? '')}`);
  const out: Replacements = {
    patient_first_name: profile.firstName,
    patient_last_name: profile.lastName,
    casenumber: `PSN-${keyed('casenumber', values.casenumber).slice(0, 8).toUpperCase()}`,
    endoscope_sn: `SN-${keyed('endoscope_sn', values.endoscope_sn).slice(0, 8).toUpperCase()}`,
    external_id: `PID-${keyed('external_id', values.external_id).slice(0, 8).toUpperCase()}`,
  };
  if (dob) out.patient_dob = formatGermanDate(profile.dob);
  if (exam) out.examination_date = formatGermanDate(dayWithinYear(keyed('examination_date', exam), 'examination_date', Number(exam.slice(0, 4))));
  const examinerSeed = keyed('examiner', `${values.examiner_first_name ?? ''} ${values.examiner_last_name ?? ''}`);
  out.examiner_first_name = pickAvoiding([...FEMALE_FIRST_NAMES, ...MALE_FIRST_NAMES], examinerSeed, 'first_name', avoid);
  out.examiner_last_name = pickAvoiding(LAST_NAMES, examinerSeed, 'last_name', avoid);
  return out;
}

import type { PrivacySummary } from '@lx/contracts';

export const MIN_K = 5;

export interface PrivacyCase {
  readonly centerKey: string;
  readonly resourceKind: string;
  readonly examinationHash: string | null;
  readonly examYear: string | null;
  readonly patientDob: string | null;
  readonly patientGender: string | null;
}

/** 10-year band of the age at the examination, capped at `90+`; `unknown` without both dates. */
export function ageBand(dob: string | null, examYear: string | null): string {
  const birthYear = dob ? Number(dob.slice(0, 4)) : NaN;
  const year = examYear ? Number(examYear) : NaN;
  if (!Number.isInteger(birthYear) || !Number.isInteger(year) || year < birthYear) return 'unknown';
  const age = year - birthYear;
  if (age >= 90) return '90+';
  const low = Math.floor(age / 10) * 10;
  return `${low}-${low + 9}`;
}

function genderClass(gender: string | null): string {
  const g = (gender ?? '').trim().toLowerCase();
  if (['male', 'm', 'männlich', 'maennlich'].includes(g)) return 'male';
  if (['female', 'f', 'w', 'weiblich'].includes(g)) return 'female';
  return g === '' ? 'unknown' : 'other';
}

/**
 * The k-anonymity estimate of the original (`build_hub_export_privacy_summary`): equivalence
 * classes over center key, resource kind, examination year, 10-year age band and gender, each
 * counting distinct examination hashes. Informational: it blocks nothing.
 */
export function privacySummary(cases: readonly PrivacyCase[], minK = MIN_K): PrivacySummary {
  const classes = new Map<string, { key: Omit<PrivacySummary['classes'][number], 'count'>; exams: Set<string> }>();
  for (const c of cases) {
    const key = { center_key: c.centerKey, resource_kind: c.resourceKind, exam_year: c.examYear ?? 'unknown', age_band: ageBand(c.patientDob, c.examYear), gender: genderClass(c.patientGender) };
    const id = JSON.stringify(key);
    const entry = classes.get(id) ?? { key, exams: new Set<string>() };
    entry.exams.add(c.examinationHash ?? `resource:${c.resourceKind}:${classes.size}:${entry.exams.size}`);
    classes.set(id, entry);
  }
  const list = [...classes.values()].map((e) => ({ ...e.key, count: e.exams.size })).sort((a, b) => a.count - b.count || a.center_key.localeCompare(b.center_key));
  const below = list.filter((c) => c.count < minK);
  const total = list.reduce((sum, c) => sum + c.count, 0);
  return {
    min_k: minK,
    total_cases: total,
    class_count: list.length,
    classes_below_k: below.length,
    cases_below_k: below.reduce((sum, c) => sum + c.count, 0),
    satisfies_k: total > 0 && below.length === 0,
    classes: list,
  };
}

/**
 * The per-field before/after comparison of a validation (the original's
 * `AnonymizationFieldMetric`): what the automatic extraction proposed against
 * what the person confirmed. Only flags and a similarity leave this module,
 * never the values.
 */
export interface FieldMetric {
  readonly field_name: string;
  readonly present_before: boolean;
  readonly present_after: boolean;
  readonly changed: boolean;
  readonly exact_match: boolean;
  /** 0..1, normalised Levenshtein similarity of the trimmed, case-folded values; 1 when both are empty. */
  readonly similarity: number;
}

const clean = (value: string | null | undefined): string => (value ?? '').trim();

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export function similarity(before: string | null | undefined, after: string | null | undefined): number {
  const a = clean(before).toLocaleLowerCase('de');
  const b = clean(after).toLocaleLowerCase('de');
  const longest = Math.max(a.length, b.length);
  if (longest === 0) return 1;
  return Math.round((1 - levenshtein(a, b) / longest) * 10_000) / 10_000;
}

export function compareField(field: string, before: string | null | undefined, after: string | null | undefined): FieldMetric {
  const b = clean(before);
  const a = clean(after);
  return { field_name: field, present_before: b !== '', present_after: a !== '', changed: b !== a, exact_match: b === a, similarity: similarity(b, a) };
}

export function compareFields(fields: readonly string[], before: Readonly<Record<string, string | null | undefined>>, after: Readonly<Record<string, string | null | undefined>>): FieldMetric[] {
  return fields.map((field) => compareField(field, before[field], after[field]));
}

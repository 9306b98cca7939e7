/**
 * Text normalisation shared by extraction, replacement and the release gate:
 * case folding, German umlaut folding (ä/ae, ö/oe, ü/ue, ß/ss) and other
 * diacritics stripped, so "Müller", "MUELLER" and "mueller" compare equal.
 */
export function fold(value: string): string {
  return value
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
}

export interface Token {
  /** The token as written. */
  readonly raw: string;
  readonly folded: string;
  readonly start: number;
  readonly end: number;
  /** Only letters (no digits). */
  readonly alphabetic: boolean;
}

/** Maximal runs of letters and digits with their offsets in `text`. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}]+/gu)) {
    const raw = m[0];
    tokens.push({ raw, folded: fold(raw), start: m.index, end: m.index + raw.length, alphabetic: /^\p{L}+$/u.test(raw) });
  }
  return tokens;
}

/** True when `a` and `b` differ by at most one insertion, deletion or substitution. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i += 1;
  if (la === lb) return a.slice(i + 1) === b.slice(i + 1);
  if (la > lb) return a.slice(i + 1) === b.slice(i);
  return a.slice(i) === b.slice(i + 1);
}

/** Name particles that identify nobody on their own. */
export const NAME_PARTICLES = new Set(['von', 'van', 'de', 'der', 'den', 'zu', 'zur', 'vom', 'ten', 'ter', 'da', 'di', 'del', 'la', 'le', 'dos', 'du']);

import { compactDateForms, findDates, parseGermanDate } from './german-dates.js';
import { fold, NAME_PARTICLES, tokenize, withinOneEdit, type Token } from './normalize.js';
import { DATE_FIELDS, NAME_FIELDS, type IdentifierField } from './types.js';

/** An identifier value known for a document (from SensitiveMeta or extraction). */
export interface KnownIdentifier {
  readonly field: IdentifierField;
  readonly value: string;
}

export type HitKind = 'exact' | 'fuzzy' | 'date' | 'part';

/** Where an identifier occurs in a text. Carries offsets, never the value. */
export interface IdentifierHit {
  readonly field: IdentifierField;
  readonly start: number;
  readonly end: number;
  readonly kind: HitKind;
}

interface TokenPattern {
  readonly field: IdentifierField;
  /** Folded tokens that must appear consecutively. */
  readonly tokens: readonly string[];
  /** The tokens written together, as one token would carry them. */
  readonly joined: string;
  readonly fuzzy: boolean;
  readonly kind: 'exact' | 'part';
}

/** Shortest identifier value searched at all; shorter ones match too much to be useful. */
const MIN_VALUE_CHARS = 2;
/** Tokens of this many letters or more also match with one edit (OCR slips, typos). */
const FUZZY_MIN_LETTERS = 5;
/** A single part of a multi-part name is searched on its own from this length. */
const MIN_PART_CHARS = 3;
const IGNORED_VALUES = new Set(['unknown', 'none', 'null', 'undefined', 'n/a', '-', 'unbekannt']);

/**
 * Finds every occurrence of known identifiers in a text: exactly (case and umlaut
 * folded, separators between parts ignored), fuzzily (one edit for alphabetic
 * tokens of five or more letters), the separate parts of multi-part names, and
 * dates in every written form. The same matcher serves text replacement, PDF
 * box placement and the release gates (PDF and video).
 */
export class IdentifierMatcher {
  readonly #patterns: TokenPattern[] = [];
  readonly #dates = new Map<string, IdentifierField[]>();
  readonly #compactDates = new Map<string, IdentifierField>();

  constructor(identifiers: readonly KnownIdentifier[]) {
    for (const { field, value } of identifiers) {
      const normalized = value.trim().replace(/\s+/g, ' ');
      if (normalized.length < MIN_VALUE_CHARS || IGNORED_VALUES.has(normalized.toLowerCase())) continue;
      if (DATE_FIELDS.has(field)) {
        const iso = parseGermanDate(normalized);
        if (iso) {
          this.#dates.set(iso, [...(this.#dates.get(iso) ?? []), field]);
          for (const compact of compactDateForms(iso)) this.#compactDates.set(compact, field);
          continue;
        }
      }
      const tokens = tokenize(normalized);
      if (tokens.length === 0) continue;
      const folded = tokens.map((t) => t.folded);
      const allAlphabetic = tokens.every((t) => t.alphabetic);
      this.#patterns.push({ field, tokens: folded, joined: folded.join(''), fuzzy: allAlphabetic, kind: 'exact' });
      if (NAME_FIELDS.has(field) && tokens.length > 1) {
        for (const token of tokens) {
          if (token.alphabetic && token.raw.length >= MIN_PART_CHARS && !NAME_PARTICLES.has(token.folded)) {
            this.#patterns.push({ field, tokens: [token.folded], joined: token.folded, fuzzy: true, kind: 'part' });
          }
        }
      }
    }
  }

  /** Whether there is anything to search for. */
  get isEmpty(): boolean {
    return this.#patterns.length === 0 && this.#dates.size === 0;
  }

  /** The fields this matcher searches (for records of what was checked). */
  get fields(): IdentifierField[] {
    return [...new Set([...this.#patterns.map((p) => p.field), ...[...this.#dates.values()].flat()])].sort();
  }

  /** All hits in `text`, ordered by start offset; overlapping hits of different kinds are all kept. */
  find(text: string): IdentifierHit[] {
    const hits: IdentifierHit[] = [];
    if (this.#dates.size > 0) {
      for (const date of findDates(text)) {
        for (const field of this.#dates.get(date.iso) ?? []) hits.push({ field, start: date.start, end: date.end, kind: 'date' });
      }
    }
    const tokens = tokenize(text);
    for (let i = 0; i < tokens.length; i += 1) {
      const token = tokens[i] as Token;
      const compactField = this.#compactDates.get(token.folded);
      if (compactField) hits.push({ field: compactField, start: token.start, end: token.end, kind: 'date' });
      for (const pattern of this.#patterns) {
        const hit = matchAt(tokens, i, pattern);
        if (hit) hits.push(hit);
      }
    }
    return hits.sort((a, b) => a.start - b.start || b.end - a.end);
  }
}

function tokenMatches(token: Token, expected: string, fuzzy: boolean): 'exact' | 'fuzzy' | undefined {
  if (token.folded === expected) return 'exact';
  if (fuzzy && token.alphabetic && token.raw.length >= FUZZY_MIN_LETTERS && expected.length >= FUZZY_MIN_LETTERS && withinOneEdit(token.folded, expected)) return 'fuzzy';
  return undefined;
}

function matchAt(tokens: readonly Token[], index: number, pattern: TokenPattern): IdentifierHit | undefined {
  const first = tokens[index] as Token;
  // The parts written as one token ("MuellerLuedenscheidt", "2024004711").
  if (pattern.tokens.length > 1) {
    const joined = tokenMatches(first, pattern.joined, pattern.fuzzy);
    if (joined) return { field: pattern.field, start: first.start, end: first.end, kind: joined === 'exact' ? 'exact' : 'fuzzy' };
  }
  if (pattern.tokens.length === 1 && pattern.fuzzy) {
    const split = splitWordHit(tokens, index, pattern);
    if (split) return split;
  }
  let fuzzyUsed = false;
  for (let k = 0; k < pattern.tokens.length; k += 1) {
    const token = tokens[index + k];
    if (!token) return undefined;
    const result = tokenMatches(token, pattern.tokens[k] as string, pattern.fuzzy);
    if (!result) return undefined;
    if (result === 'fuzzy') fuzzyUsed = true;
  }
  const last = tokens[index + pattern.tokens.length - 1] as Token;
  const kind: HitKind = pattern.kind === 'part' ? 'part' : fuzzyUsed ? 'fuzzy' : 'exact';
  return { field: pattern.field, start: first.start, end: last.end, kind };
}

/**
 * OCR splits words ("J ürgen", "Mül ler"): a name also matches two alphabetic
 * tokens at most two characters apart whose concatenation is within one edit of it.
 */
function splitWordHit(tokens: readonly Token[], index: number, pattern: TokenPattern): IdentifierHit | undefined {
  const first = tokens[index] as Token;
  const next = tokens[index + 1];
  const expected = pattern.tokens[0] as string;
  if (!next || !first.alphabetic || !next.alphabetic || expected.length < FUZZY_MIN_LETTERS || next.start - first.end > 2) return undefined;
  const joined = first.folded + next.folded;
  if (tokenMatches(first, expected, true)) return undefined;
  if (joined !== expected && !withinOneEdit(joined, expected)) return undefined;
  return { field: pattern.field, start: first.start, end: next.end, kind: pattern.kind === 'part' ? 'part' : 'fuzzy' };
}

/** Merges overlapping hits into disjoint spans (the earliest field wins a span). */
export function mergeHits(hits: readonly IdentifierHit[]): IdentifierHit[] {
  const sorted = [...hits].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: IdentifierHit[] = [];
  for (const hit of sorted) {
    const last = merged[merged.length - 1];
    if (last && hit.start < last.end) {
      if (hit.end > last.end) merged[merged.length - 1] = { ...last, end: hit.end };
    } else merged.push(hit);
  }
  return merged;
}

/** Case- and umlaut-insensitive equality of two identifier values. */
export function sameIdentifier(a: string, b: string): boolean {
  return tokenize(a).map((t) => t.folded).join(' ') === tokenize(b).map((t) => t.folded).join(' ') || fold(a.trim()) === fold(b.trim());
}

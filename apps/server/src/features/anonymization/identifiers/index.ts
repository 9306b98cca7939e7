export { IDENTIFIER_FIELDS, DATE_FIELDS, NAME_FIELDS, SEARCHED_FIELDS, type IdentifierField, type ExtractedField, type ExtractedIdentifiers, type PatientGender } from './types.js';
export { fold, tokenize, withinOneEdit } from './normalize.js';
export { parseGermanDate, findDates, formatGermanDate, expandYear, DATE_PATTERN, type FoundDate } from './german-dates.js';
export { IdentifierMatcher, mergeHits, sameIdentifier, type KnownIdentifier, type IdentifierHit, type HitKind } from './matcher.js';
export { extractIdentifiersByRules, readName } from './rules.js';
export { extractIdentifiersWithLlm, LlmExtractionError, type LlmExtractorConfig } from './llm.js';
export { extractIdentifiers, type ExtractionOutcome } from './extract.js';
export { replaceIdentifiers, type Replacements, type ReplacementResult } from './replace.js';

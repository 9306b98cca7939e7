import { SAP_TEMPLATES, type SapColumnTemplate, type SapDocumentTemplate, type SapDocumentType } from './sap-templates.js';
import { coerceValue, headerKey, pyStrip, type SapValue } from './sap-values.js';

export interface SapTemplateMatch {
  readonly template: SapDocumentTemplate;
  readonly matchedColumns: readonly string[];
  readonly unknownColumns: readonly string[];
}

export class SapTemplateError extends Error {}

/**
 * Header keys a template column answers to: its export spelling and its canonical
 * snake_case name (`pmdAnam` and `pmd_anam`), both compared stripped and case-folded.
 */
function columnKeys(column: SapColumnTemplate): string[] {
  return [...new Set([headerKey(column.source), headerKey(column.target)])];
}

function templateKeys(template: SapDocumentTemplate): Set<string> {
  return new Set(template.columns.flatMap(columnKeys));
}

function requiredKeySets(template: SapDocumentTemplate): string[][] {
  return template.requiredColumns.map((name) => {
    const column = template.columns.find((c) => c.source === name);
    return column ? columnKeys(column) : [headerKey(name)];
  });
}

/**
 * Picks the template for a table's headers (§7): every required column present; best is
 * the most matched columns, then the fewest unknown ones. No match or a tie is an error,
 * and the table is skipped.
 */
export function resolveTemplate(headers: readonly string[], templates: readonly SapDocumentTemplate[] = SAP_TEMPLATES): SapTemplateMatch {
  const byKey = new Map<string, string>();
  for (const header of headers) byKey.set(headerKey(header), pyStrip(header));
  const keys = [...byKey.keys()];
  const matches: SapTemplateMatch[] = [];
  for (const template of templates) {
    if (!requiredKeySets(template).every((alternatives) => alternatives.some((k) => byKey.has(k)))) continue;
    const known = templateKeys(template);
    matches.push({
      template,
      matchedColumns: keys.filter((k) => known.has(k)).map((k) => byKey.get(k)!),
      unknownColumns: keys.filter((k) => !known.has(k)).map((k) => byKey.get(k)!),
    });
  }
  if (matches.length === 0) throw new SapTemplateError('no known SAP IS-H table template matches the headers');
  matches.sort((a, b) => b.matchedColumns.length - a.matchedColumns.length || a.unknownColumns.length - b.unknownColumns.length);
  const best = matches[0]!;
  const tied = matches.filter((m) => m.matchedColumns.length === best.matchedColumns.length && m.unknownColumns.length === best.unknownColumns.length);
  if (tied.length > 1) throw new SapTemplateError(`ambiguous headers; matched: ${tied.map((m) => m.template.documentType).join(', ')}`);
  return best;
}

export interface SapNormalizedRow {
  readonly documentType: SapDocumentType;
  /** Canonical snake_case field → typed value. */
  readonly canonical: ReadonlyMap<string, SapValue>;
  /** Template columns as exported: original header → raw cell. */
  readonly rawColumns: ReadonlyMap<string, string | null>;
  /** Columns the template does not know, kept for review. */
  readonly unknownColumns: ReadonlyMap<string, string | null>;
  /** Path of the table inside the zip. */
  readonly memberPath: string;
  /** Base name of the table file, as the sidecar reports it. */
  readonly sourceFile: string;
  readonly rowNumber: number;
}

export type SapRowMapper = (cells: ReadonlyMap<string, string | null>, origin: { memberPath: string; sourceFile: string; rowNumber: number }) => SapNormalizedRow;

/**
 * Maps the rows of one table onto the template's canonical fields. Which header feeds which
 * column is settled once per table (all rows share the header): the last header answering to
 * a column wins, the export spelling before the snake_case one.
 */
export function rowMapper(headers: readonly string[], match: SapTemplateMatch): SapRowMapper {
  const lookup = new Map<string, string>();
  for (const header of headers) lookup.set(headerKey(header), header);
  const plan: { header: string; target: string; type: SapColumnTemplate['type'] }[] = [];
  for (const column of match.template.columns) {
    const header = columnKeys(column)
      .map((k) => lookup.get(k))
      .find((h) => h !== undefined);
    if (header !== undefined) plan.push({ header, target: column.target, type: column.type });
  }
  const known = templateKeys(match.template);
  const unknownHeaders = headers.filter((h) => !known.has(headerKey(h)));
  const documentType = match.template.documentType;
  return (cells, origin) => {
    const canonical = new Map<string, SapValue>();
    const rawColumns = new Map<string, string | null>();
    for (const { header, target, type } of plan) {
      const raw = cells.get(header) ?? null;
      rawColumns.set(header, raw);
      canonical.set(target, coerceValue(raw, type));
    }
    const unknownColumns = new Map<string, string | null>(unknownHeaders.map((h) => [h, cells.get(h) ?? null]));
    return { documentType, canonical, rawColumns, unknownColumns, ...origin };
  };
}

/** Maps one row (tests and one-off callers; the importer builds one mapper per table). */
export function normalizeRow(
  cells: ReadonlyMap<string, string | null>,
  match: SapTemplateMatch,
  origin: { memberPath: string; sourceFile: string; rowNumber: number },
): SapNormalizedRow {
  return rowMapper([...cells.keys()], match)(cells, origin);
}

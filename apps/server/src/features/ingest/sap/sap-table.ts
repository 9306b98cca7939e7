import { pyStrip } from './sap-values.js';

/** Encodings tried in order (reference-contracts §7); the last one decodes every byte sequence. */
export const SAP_ENCODINGS = ['utf-8-sig', 'utf-8', 'cp1252', 'latin-1'] as const;
export type SapEncoding = (typeof SAP_ENCODINGS)[number];

/** A table that cannot be read; the import reports it and goes on with the other tables. */
export class SapTableError extends Error {}

export interface SapTableRow {
  /** Record number as the original counts it: the header is 1, empty lines are not counted. */
  readonly rowNumber: number;
  /** Header → raw cell, in header order; columns with an empty header name are dropped. */
  readonly cells: ReadonlyMap<string, string | null>;
}

export interface SapTable {
  readonly encoding: SapEncoding;
  /** Distinct non-empty header names in column order. */
  readonly headers: readonly string[];
  /** Non-blank data rows. */
  readonly rows: readonly SapTableRow[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// Windows-1252 0x80-0x9F (0 = undefined: Python's cp1252 codec fails on those five bytes).
// Decoded by hand: Node 20's TextDecoder('windows-1252') decodes as ISO-8859-1.
const CP1252_80_9F = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function decodeCp1252(bytes: Uint8Array): string | undefined {
  const units = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i]!;
    if (b >= 0x80 && b <= 0x9f) {
      const mapped = CP1252_80_9F[b - 0x80]!;
      if (mapped === 0) return undefined;
      units[i] = mapped;
    } else units[i] = b;
  }
  let text = '';
  for (let i = 0; i < units.length; i += 8192) text += String.fromCharCode(...units.subarray(i, i + 8192));
  return text;
}

/**
 * Decodes with the first encoding of §7 that accepts the bytes. Valid UTF-8 is reported as
 * `utf-8-sig` only when it starts with a byte order mark (Python's codec accepts both).
 */
export function decodeSapText(bytes: Uint8Array): { text: string; encoding: SapEncoding } {
  try {
    const text = UTF8.decode(bytes);
    return text.startsWith('\uFEFF') ? { text: text.slice(1), encoding: 'utf-8-sig' } : { text, encoding: 'utf-8' };
  } catch {
    // not UTF-8: fall through to the single-byte code pages
  }
  const cp1252 = decodeCp1252(bytes);
  if (cp1252 !== undefined) return { text: cp1252, encoding: 'cp1252' };
  // ISO-8859-1 maps byte n to U+00nn; Node's 'latin1' is exactly that (TextDecoder's is not).
  return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), encoding: 'latin-1' };
}

/**
 * Splits tab-separated text into records the way Python's `csv` reader does with the
 * excel dialect and a tab delimiter: `"` quotes a field (`""` inside is one quote), quoted
 * fields may span lines, an empty line is an empty record. Newlines are already `\n`.
 * `openQuoteRecord` is the index of a record whose quoted field never closed.
 */
export function splitRecords(text: string): { records: string[][]; openQuoteRecord: number | undefined } {
  const TAB = 9;
  const LF = 10;
  const QUOTE = 34;
  const records: string[][] = [];
  let fields: string[] = [];
  let openQuoteRecord: number | undefined;
  let i = 0;
  const n = text.length;
  // Each iteration starts a field; `fields.length === 0` means the start of a record.
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      if (fields.length > 0) fields.push('');
      records.push(fields);
      fields = [];
      i += 1;
      continue;
    }
    let field = '';
    if (c === QUOTE) {
      i += 1;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close === -1) {
          field += text.slice(i);
          i = n;
          openQuoteRecord = records.length;
          break;
        }
        field += text.slice(i, close);
        i = close + 1;
        if (i < n && text.charCodeAt(i) === QUOTE) {
          field += '"';
          i += 1;
          continue;
        }
        break;
      }
      if (openQuoteRecord !== undefined) {
        fields.push(field);
        break;
      }
    }
    // Unquoted text (or what follows a closing quote) runs to the next tab or newline.
    let j = i;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === TAB || d === LF) break;
      j += 1;
    }
    field += text.slice(i, j);
    fields.push(field);
    i = j;
    if (i >= n) break;
    if (text.charCodeAt(i) === LF) {
      records.push(fields);
      fields = [];
      i += 1;
    } else {
      i += 1;
      // A tab at the very end of the input still delimits an empty last field.
      if (i >= n) fields.push('');
    }
  }
  if (fields.length > 0) records.push(fields);
  return { records, openQuoteRecord };
}

/**
 * Reads one SAP table: decoding fallbacks, header row, blank rows skipped. A table whose
 * rows do not line up with its header (a stray quote or tab shifts every later value into
 * the wrong column) is refused rather than imported with misplaced clinical values.
 */
export function parseSapTable(bytes: Uint8Array): SapTable {
  if (bytes.includes(0)) throw new SapTableError('binary content (NUL bytes); expected a tab-separated text export (UTF-8 or Windows-1252, not UTF-16)');
  const { text, encoding } = decodeSapText(bytes);
  const { records, openQuoteRecord } = splitRecords(text.replace(/\r\n?/g, '\n'));
  // Python's DictReader takes the first record as header and skips empty records after it.
  const kept = records.map((record, index) => ({ record, index })).filter(({ record, index }) => index === 0 || record.length > 0);
  const headerRecord = kept[0]?.record ?? [];
  const named = headerRecord.map((header, index) => ({ header, index })).filter(({ header }) => pyStrip(header) !== '');
  if (named.length === 0) throw new SapTableError('no header row');
  if (openQuoteRecord === 0) throw new SapTableError('header row: a quoted field is never closed');
  const headers = [...new Set(named.map((n) => n.header))];
  const lastNamedIndex = named[named.length - 1]!.index;

  const rows: SapTableRow[] = [];
  for (let i = 1; i < kept.length; i += 1) {
    const { record, index } = kept[i]!;
    const rowNumber = i + 1;
    const cells = new Map<string, string | null>(headers.map((h) => [h, null]));
    for (const { header, index: column } of named) cells.set(header, column < record.length ? record[column]! : null);
    if ([...cells.values()].every((v) => v === null || v === '')) continue;
    if (index === openQuoteRecord) throw new SapTableError(`row ${rowNumber}: a quoted field is never closed`);
    if (record.length <= lastNamedIndex || record.slice(headerRecord.length).some((v) => v !== '')) {
      throw new SapTableError(`row ${rowNumber} has ${record.length} fields, the header has ${headerRecord.length} (line break or tab inside a value?)`);
    }
    rows.push({ rowNumber, cells });
  }
  return { encoding, headers, rows };
}

import { compareCodePoints } from './sap-values.js';

/** What the sidecar and manifest serializer accepts. Maps keep keys that would be unsafe as object keys. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | ReadonlyMap<string, JsonValue> | { readonly [key: string]: JsonValue };

function quote(text: string): string {
  // JSON.stringify already escapes quotes, backslashes and control characters exactly like Python
  // (short forms for \b \t \n \f \r, lowercase \u00xx otherwise, lone surrogates as \udxxx);
  // ensure_ascii additionally escapes DEL and every non-ASCII UTF-16 unit.
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function entriesOf(value: ReadonlyMap<string, JsonValue> | { readonly [key: string]: JsonValue }): [string, JsonValue][] {
  const entries: [string, JsonValue][] = value instanceof Map ? [...(value as ReadonlyMap<string, JsonValue>)] : Object.entries(value);
  return entries.sort(([a], [b]) => compareCodePoints(a, b));
}

function render(value: JsonValue, depth: number): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError('only integers are serialized');
    return String(value);
  }
  const inner = '  '.repeat(depth + 1);
  const outer = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item: JsonValue) => `${inner}${render(item, depth + 1)}`).join(',\n')}\n${outer}]`;
  }
  const entries = entriesOf(value as ReadonlyMap<string, JsonValue> | { readonly [key: string]: JsonValue });
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${quote(k)}: ${render(v, depth + 1)}`).join(',\n')}\n${outer}}`;
}

/**
 * Python's `json.dumps(value, ensure_ascii=True, indent=2, sort_keys=True)`, byte for byte:
 * keys sorted by code point at every level, non-ASCII as `\uXXXX`, no trailing newline.
 */
export function pythonJsonDumps(value: JsonValue): string {
  return render(value, 0);
}

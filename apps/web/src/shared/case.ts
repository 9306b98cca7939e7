/**
 * The server speaks the original's snake_case; the SPA works in camelCase. Every response body
 * goes through `toCamel` and every request body through `toSnake`, in the API client only.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const camelKey = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const snakeKey = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

function convert(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, rename));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[rename(k)] = convert(v, rename);
    return out;
  }
  return value;
}

export function toCamel<T = unknown>(value: unknown): T {
  return convert(value, camelKey) as T;
}

export function toSnake<T = Json>(value: unknown): T {
  return convert(value, snakeKey) as T;
}

import { z } from 'zod';

/**
 * Row shapes differ by engine: SQLite returns booleans as 0/1 and PostgreSQL may
 * return counts as strings. Repositories parse rows through these so that every
 * caller sees one shape.
 */
export const dbBool = z.union([z.boolean(), z.number(), z.bigint()]).transform((v) => Boolean(Number(v)));
export const dbInt = z.union([z.number(), z.string(), z.bigint()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    ctx.addIssue({ code: 'custom', message: 'not a safe integer' });
    return z.NEVER;
  }
  return n;
});
export const dbTimestamp = z.union([z.string(), z.date()]).transform((v) => new Date(v).toISOString());
export function dbJson<T extends z.ZodType>(schema: T) {
  return z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).transform((v, ctx) => {
    let parsed: unknown = v;
    if (typeof v === 'string') {
      try {
        parsed = JSON.parse(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'invalid JSON in column' });
        return z.NEVER;
      }
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      ctx.addIssue({ code: 'custom', message: result.error.message });
      return z.NEVER;
    }
    return result.data as z.output<T>;
  });
}

/** Values written to the database: booleans become 0/1 for SQLite, kept for PostgreSQL. */
export function boolValue(value: boolean): number {
  return value ? 1 : 0;
}

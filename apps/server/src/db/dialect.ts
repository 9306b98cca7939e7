import { PostgresAdapter, sql, type ColumnDataType, type Expression, type Kysely, type RawBuilder } from 'kysely';

export type Engine = 'sqlite' | 'postgres';

/** Which engine a Kysely instance talks to. */
export function engineOf(db: Kysely<any>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Column types that differ between the engines; everything else is written once. */
export interface ColumnTypes {
  readonly timestamp: ColumnDataType | RawBuilder<unknown>;
  readonly uuid: ColumnDataType;
  readonly json: ColumnDataType;
  readonly bigint: ColumnDataType;
}

export function columnTypes(engine: Engine): ColumnTypes {
  return engine === 'postgres'
    ? { timestamp: 'timestamptz', uuid: 'uuid', json: 'text', bigint: 'bigint' }
    : { timestamp: 'text', uuid: 'text', json: 'text', bigint: 'integer' };
}

/** An auto-incrementing integer primary key on both engines. */
export function idColumnType(engine: Engine): ColumnDataType {
  return engine === 'postgres' ? 'serial' : 'integer';
}

/** The current time as the same ISO-8601 UTC text on both engines. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** `lower(expr)` usable in both engines' queries. */
export function lower(expr: Expression<string>): RawBuilder<string> {
  return sql<string>`lower(${expr})`;
}

import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface CenterRow {
  readonly id: number;
  readonly name: string;
  readonly displayName: string;
  readonly centerKey: string;
}

const columns = ['id', 'name', 'display_name', 'center_key'] as const;
const toCenter = (r: { id: number; name: string; display_name: string; center_key: string }): CenterRow => ({
  id: Number(r.id),
  name: r.name,
  displayName: r.display_name,
  centerKey: r.center_key,
});

export async function findCenterByKey(db: Executor, centerKey: string): Promise<CenterRow | undefined> {
  const row = await db.selectFrom('centers').select(columns).where('center_key', '=', centerKey).executeTakeFirst();
  return row && toCenter(row);
}

export async function findCenterByName(db: Executor, name: string): Promise<CenterRow | undefined> {
  const row = await db.selectFrom('centers').select(columns).where('name', '=', name).executeTakeFirst();
  return row && toCenter(row);
}

export async function listCenters(db: Executor): Promise<CenterRow[]> {
  return (await db.selectFrom('centers').select(columns).orderBy('id').execute()).map(toCenter);
}

export async function centerKeysLike(db: Executor, base: string): Promise<Set<string>> {
  const rows = await db.selectFrom('centers').select('center_key').where('center_key', 'like', `${base}%`).execute();
  return new Set(rows.map((r) => r.center_key));
}

export async function insertCenter(db: Executor, center: Omit<CenterRow, 'id'>, now: string): Promise<CenterRow> {
  const row = await db
    .insertInto('centers')
    .values({ name: center.name, display_name: center.displayName, center_key: center.centerKey, created_at: now, updated_at: now })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return toCenter(row);
}

import type { Transaction } from 'kysely';
import type { DB } from '../../db/index.js';
import { engineOf } from '../../db/index.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface LedgerRow {
  sequence: number;
  created_at: string;
  actor: string | null;
  center_id: number | null;
  object_type: string;
  object_pk: string;
  action: string;
  data: string;
  prev_hash: string;
  hash: string;
}

/** Reads the ledger head, locking it on PostgreSQL so that appends are serialised. */
export async function lockHead(trx: Transaction<DB>): Promise<{ sequence: number; hash: string }> {
  const now = new Date().toISOString();
  await trx.insertInto('ledger_head').values({ id: 1, sequence: 0, hash: GENESIS_HASH, updated_at: now }).onConflict((oc) => oc.column('id').doNothing()).execute();
  const query = trx.selectFrom('ledger_head').select(['sequence', 'hash']).where('id', '=', 1);
  const row = engineOf(trx) === 'postgres' ? await query.forUpdate().executeTakeFirstOrThrow() : await query.executeTakeFirstOrThrow();
  return { sequence: Number(row.sequence), hash: row.hash };
}

export async function insertEntry(trx: Transaction<DB>, row: LedgerRow): Promise<void> {
  await trx.insertInto('audit_ledger').values(row).execute();
  await trx.updateTable('ledger_head').set({ sequence: row.sequence, hash: row.hash, updated_at: row.created_at }).where('id', '=', 1).execute();
}

export async function* readLedger(db: { selectFrom: Transaction<DB>['selectFrom'] }, batch = 500): AsyncGenerator<LedgerRow> {
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_ledger')
      .select(['sequence', 'created_at', 'actor', 'center_id', 'object_type', 'object_pk', 'action', 'data', 'prev_hash', 'hash'])
      .where('sequence', '>', after)
      .orderBy('sequence')
      .limit(batch)
      .execute();
    if (rows.length === 0) return;
    for (const r of rows) yield { ...r, sequence: Number(r.sequence), center_id: r.center_id === null ? null : Number(r.center_id) };
    after = Number(rows[rows.length - 1]?.sequence);
  }
}

export async function readHead(db: { selectFrom: Transaction<DB>['selectFrom'] }): Promise<{ sequence: number; hash: string } | undefined> {
  const row = await db.selectFrom('ledger_head').select(['sequence', 'hash']).where('id', '=', 1).executeTakeFirst();
  return row && { sequence: Number(row.sequence), hash: row.hash };
}

export const isUniqueViolation = (error: unknown): boolean =>
  /unique|SQLITE_BUSY|database is locked|could not serialize/i.test(String((error as { code?: string }).code ?? '') + String((error as Error).message ?? '')) ||
  (error as { code?: string }).code === '23505';


import { createHash } from 'node:crypto';
import type { Db } from '../../db/index.js';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, insertEntry, isUniqueViolation, lockHead, readHead, readLedger, type LedgerRow } from './audit.repository.js';

export interface AuditEvent {
  /** Dotted action name, e.g. `hub.center_resolved`. */
  readonly action: string;
  readonly objectType: string;
  readonly objectPk?: string;
  readonly actor?: string | null;
  readonly centerId?: number | null;
  /** Must never carry a secret or a direct patient identifier. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export function entryHash(prevHash: string, entry: Omit<LedgerRow, 'hash' | 'prev_hash'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(entry)).digest('hex');
}

export interface LedgerVerification {
  readonly ok: boolean;
  readonly entries: number;
  /** Sequence of the first entry whose hash or link does not match. */
  readonly brokenAt?: number;
}

/** Append-only, hash-chained audit ledger with a head row that pins the latest entry. */
export class AuditLedger {
  constructor(private readonly db: Db) {}

  async append(event: AuditEvent): Promise<{ sequence: number; hash: string }> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const head = await lockHead(trx);
          const entry = {
            sequence: head.sequence + 1,
            created_at: new Date().toISOString(),
            actor: event.actor ?? null,
            center_id: event.centerId ?? null,
            object_type: event.objectType,
            object_pk: event.objectPk ?? '',
            action: event.action,
            data: canonicalJson(event.data ?? {}),
          };
          const hash = entryHash(head.hash, entry);
          await insertEntry(trx, { ...entry, prev_hash: head.hash, hash });
          return { sequence: entry.sequence, hash };
        });
      } catch (error) {
        // Two writers raced for the same sequence; the loser retries on the new head.
        if (attempt < 20 && isUniqueViolation(error)) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
          continue;
        }
        throw error;
      }
    }
  }

  /** Recomputes every hash and link and checks that the head points at the last entry. */
  async verify(): Promise<LedgerVerification> {
    let prev = GENESIS_HASH;
    let expected = 1;
    let entries = 0;
    for await (const row of readLedger(this.db)) {
      const { hash, prev_hash: prevHash, ...entry } = row;
      if (row.sequence !== expected || prevHash !== prev || entryHash(prevHash, entry) !== hash) {
        return { ok: false, entries, brokenAt: row.sequence };
      }
      prev = hash;
      expected += 1;
      entries += 1;
    }
    const head = await readHead(this.db);
    const headOk = head === undefined ? entries === 0 : head.sequence === entries && head.hash === prev;
    return headOk ? { ok: true, entries } : { ok: false, entries, brokenAt: entries + 1 };
  }
}

import type { Db } from '../../db/index.js';
import { nowIso } from '../../db/index.js';
import { isValidCenterKey, slugifyCenterKey, uniqueCenterKey } from './center-key.js';
import { centerKeysLike, findCenterByKey, findCenterByName, insertCenter, listCenters, type CenterRow } from './centers.repository.js';

export class CentersService {
  constructor(private readonly db: Db) {}

  /**
   * Returns the center with this name, creating it if needed. A requested key is
   * used as given (it must be free); otherwise the key is the slug of the display
   * name with `-2`, `-3`… on collision.
   */
  async ensureCenter(input: { name: string; displayName?: string; centerKey?: string }): Promise<CenterRow> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await findCenterByName(trx, input.name);
      if (existing) return existing;
      const displayName = input.displayName ?? input.name;
      let centerKey: string;
      if (input.centerKey !== undefined) {
        if (!isValidCenterKey(input.centerKey)) throw new Error(`invalid center_key "${input.centerKey}": lowercase letters, digits, - and _`);
        if (await findCenterByKey(trx, input.centerKey)) throw new Error(`center_key "${input.centerKey}" is already used by another center`);
        centerKey = input.centerKey;
      } else {
        const base = slugifyCenterKey(displayName);
        centerKey = uniqueCenterKey(base, await centerKeysLike(trx, base));
      }
      return insertCenter(trx, { name: input.name, displayName, centerKey }, nowIso());
    });
  }

  byKey(centerKey: string): Promise<CenterRow | undefined> {
    return findCenterByKey(this.db, centerKey);
  }

  list(): Promise<CenterRow[]> {
    return listCenters(this.db);
  }
}

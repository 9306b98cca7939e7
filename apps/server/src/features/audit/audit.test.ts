import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { AuditLedger } from './index.js';

for (const engine of ENGINES) {
  describe(`audit ledger on ${engine}`, () => {
    let t: TestDatabase;
    let ledger: AuditLedger;
    before(async () => {
      t = await createTestDatabase(engine);
      ledger = new AuditLedger(t.db);
    });
    after(() => t.dispose());

    test('an empty ledger verifies', async () => {
      assert.deepEqual(await ledger.verify(), { ok: true, entries: 0 });
    });

    test('entries chain by hash and the head pins the last one, also under concurrent appends', async () => {
      const first = await ledger.append({ action: 'hub.center_resolved', objectType: 'upload_job', objectPk: 'x', data: { declared: 'a', resolved: 'a' } });
      assert.equal(first.sequence, 1);
      await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.append({ action: 'test.concurrent', objectType: 'test', objectPk: String(i) })));
      const result = await ledger.verify();
      assert.deepEqual(result, { ok: true, entries: 21 });
    });

    test('tampering with a stored entry is detected at that entry', async () => {
      await t.db.updateTable('audit_ledger').set({ data: '{"declared":"b","resolved":"a"}' }).where('sequence', '=', 1).execute();
      const result = await ledger.verify();
      assert.equal(result.ok, false);
      assert.equal(result.brokenAt, 1);
    });

    test('deleting the newest entry is detected by the head', async () => {
      await t.db.updateTable('audit_ledger').set({ data: '{"declared":"a","resolved":"a"}' }).where('sequence', '=', 1).execute();
      assert.equal((await ledger.verify()).ok, true);
      await t.db.deleteFrom('audit_ledger').where('sequence', '=', 21).execute();
      assert.equal((await ledger.verify()).ok, false);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { CentersService, slugifyCenterKey } from './index.js';

test('center keys are ASCII slugs of the display name', () => {
  assert.equal(slugifyCenterKey('Universitätsklinikum Würzburg'), 'universitaetsklinikum-wuerzburg');
  assert.equal(slugifyCenterKey('  Klinik  Süd / Ost  '), 'klinik-sued-ost');
  assert.equal(slugifyCenterKey('Hôpital Saint-Éloi'), 'hopital-saint-eloi');
  assert.equal(slugifyCenterKey('!!!'), 'center');
});

for (const engine of ENGINES) {
  describe(`centers on ${engine}`, () => {
    let t: TestDatabase;
    let centers: CentersService;
    before(async () => {
      t = await createTestDatabase(engine);
      centers = new CentersService(t.db);
    });
    after(() => t.dispose());

    test('colliding display names get -2, -3 suffixes; ensure is idempotent by name', async () => {
      const a = await centers.ensureCenter({ name: 'a', displayName: 'Klinik Nord' });
      const b = await centers.ensureCenter({ name: 'b', displayName: 'Klinik Nord' });
      const c = await centers.ensureCenter({ name: 'c', displayName: 'Klinik-Nord' });
      assert.deepEqual([a.centerKey, b.centerKey, c.centerKey], ['klinik-nord', 'klinik-nord-2', 'klinik-nord-3']);
      assert.equal((await centers.ensureCenter({ name: 'a', displayName: 'anything' })).id, a.id);
    });

    test('an explicit key must be valid and free', async () => {
      await assert.rejects(centers.ensureCenter({ name: 'x', centerKey: 'Bad Key' }), /invalid center_key/);
      await assert.rejects(centers.ensureCenter({ name: 'y', centerKey: 'klinik-nord' }), /already used/);
      assert.equal((await centers.ensureCenter({ name: 'z', centerKey: 'zentrum-z' })).centerKey, 'zentrum-z');
      assert.equal((await centers.byKey('zentrum-z'))?.name, 'z');
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { CentersService } from '../centers/index.js';
import { KnowledgeBaseService } from './index.js';

for (const engine of ENGINES) {
  describe(`base data on ${engine}`, () => {
    let t: TestDatabase;
    let kb: KnowledgeBaseService;
    before(async () => {
      t = await createTestDatabase(engine);
      kb = new KnowledgeBaseService(t.db, new CentersService(t.db));
    });
    after(() => t.dispose());

    test('loads centers, processors, examinations and label sets; a second load creates nothing', async () => {
      const first = await kb.loadBaseData({ defaultCenterKey: 'lx-annotate-center' });
      assert.deepEqual(first, { centersCreated: 2, processorsCreated: 4, examinationsCreated: 6, labelsCreated: 16, labelSetsCreated: 2 });
      const second = await kb.loadBaseData({ defaultCenterKey: 'lx-annotate-center' });
      assert.deepEqual(second, { centersCreated: 0, processorsCreated: 0, examinationsCreated: 0, labelsCreated: 0, labelSetsCreated: 0 });
      const olympus = await t.db.selectFrom('endoscopy_processors').selectAll().where('name', '=', 'olympus_cv_1500').executeTakeFirstOrThrow();
      assert.deepEqual(
        [olympus.image_width, olympus.image_height, olympus.endoscope_image_x, olympus.endoscope_image_y, olympus.endoscope_image_width, olympus.endoscope_image_height],
        [1920, 1080, 550, 0, 1350, 1080],
      );
      const rois = JSON.parse(olympus.overlay_rois) as Record<string, unknown>;
      assert.ok(rois.patient_last_name && rois.patient_first_name && rois.patient_dob && rois.examination_date);
      assert.equal(rois.casenumber, undefined);
      const v1 = await t.db
        .selectFrom('label_set_labels')
        .innerJoin('label_sets', 'label_sets.id', 'label_set_labels.label_set_id')
        .where('label_sets.version', '=', 1)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(v1.n), 14);
      assert.ok(await t.db.selectFrom('centers').select('id').where('center_key', '=', 'lx-annotate-center').executeTakeFirst());
    });

    test('an operator-edited processor is not overwritten by base data', async () => {
      await t.db.updateTable('endoscopy_processors').set({ geometry_source: 'edited', endoscope_image_x: 600 }).where('name', '=', 'olympus_cv_190').execute();
      await kb.loadBaseData({ defaultCenterKey: 'lx-annotate-center' });
      const row = await t.db.selectFrom('endoscopy_processors').select('endoscope_image_x').where('name', '=', 'olympus_cv_190').executeTakeFirstOrThrow();
      assert.equal(row.endoscope_image_x, 600);
    });
  });
}

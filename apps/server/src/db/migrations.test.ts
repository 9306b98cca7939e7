import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../test/helpers/engines.js';
import { migrateToLatest, schemaStatus } from './index.js';
import { nowIso } from './dialect.js';

for (const engine of ENGINES) {
  describe(`schema on ${engine}`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(engine, { migrate: false });
    });
    after(() => t.dispose());

    test('an empty database is behind; migrate brings it current; a second run applies nothing', async () => {
      const before = await schemaStatus(t.db);
      assert.deepEqual(before.applied, []);
      assert.ok(before.pending.includes('0001-core'));
      assert.ok((await migrateToLatest(t.db)).includes('0001-core'));
      const after = await schemaStatus(t.db);
      assert.deepEqual(after.pending, []);
      assert.deepEqual(await migrateToLatest(t.db), []);
    });

    test('a migration recorded by a newer release is reported as unknown', async () => {
      await sql`insert into lx_schema_migrations (name, timestamp) values ('9999-from-the-future', ${nowIso()})`.execute(t.db);
      assert.deepEqual((await schemaStatus(t.db)).unknown, ['9999-from-the-future']);
      await sql`delete from lx_schema_migrations where name = '9999-from-the-future'`.execute(t.db);
    });

    test('booleans, timestamps and JSON read back in one shape', async () => {
      const now = nowIso();
      const center = await t.db.insertInto('centers').values({ name: `c-${engine}`, center_key: `c-${engine}`, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
      const id = randomUUID();
      await t.db
        .insertInto('upload_jobs')
        .values({ id, source_center_id: center.id, source_file_persisted: true, processing_provenance: JSON.stringify({ entrypoint: 'api' }), created_at: now, updated_at: now })
        .execute();
      const row = await t.db.selectFrom('upload_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(Boolean(row.source_file_persisted), true);
      assert.equal(row.created_at, now);
      assert.deepEqual(JSON.parse(row.processing_provenance), { entrypoint: 'api' });
      assert.equal(row.status, 'pending');
      assert.equal(row.cleanup_status, 'pending');
    });

    test('upload job uniqueness is partial: error and lost jobs do not block a new one', async () => {
      const now = nowIso();
      const center = await t.db.insertInto('centers').values({ name: `u-${engine}`, center_key: `u-${engine}`, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
      const job = (status: string, hash: string, key = '') => ({
        id: randomUUID(),
        status,
        source_center_id: center.id,
        content_type: 'video/mp4',
        content_hash: hash,
        idempotency_key: key,
        created_at: now,
        updated_at: now,
      });
      await t.db.insertInto('upload_jobs').values(job('error', 'a'.repeat(64))).execute();
      await t.db.insertInto('upload_jobs').values(job('lost', 'a'.repeat(64))).execute();
      await t.db.insertInto('upload_jobs').values(job('pending', 'a'.repeat(64))).execute();
      await assert.rejects(t.db.insertInto('upload_jobs').values(job('processing', 'a'.repeat(64))).execute());
      await t.db.insertInto('upload_jobs').values(job('pending', '', 'idem-1')).execute();
      await assert.rejects(t.db.insertInto('upload_jobs').values(job('anonymized', '', 'idem-1')).execute());
      await t.db.insertInto('upload_jobs').values(job('pending', '', '')).execute();
      await t.db.insertInto('upload_jobs').values(job('pending', '', '')).execute();
    });

    test('center keys are unique', async () => {
      const now = nowIso();
      await t.db.insertInto('centers').values({ name: `k1-${engine}`, center_key: 'same-key', created_at: now, updated_at: now }).execute();
      await assert.rejects(t.db.insertInto('centers').values({ name: `k2-${engine}`, center_key: 'same-key', created_at: now, updated_at: now }).execute());
    });
  });
}

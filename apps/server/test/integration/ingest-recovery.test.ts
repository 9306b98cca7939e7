import assert from 'node:assert/strict';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import type { Actor } from '../../src/features/auth/index.js';
import { ApiUploadService, FileWatcher, IngestService, UploadRecoveryService, WatcherHandoff } from '../../src/features/ingest/index.js';
import type { JobQueue } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log/logger.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { Conflict } from '../../src/shared/errors.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { ingestEnv, MINIMAL_PDF } from './ingest-support.js';

const root: Actor = { userId: 1, username: 'root', roles: [], centerIds: 'all', isSuperuser: true, isStaff: false, authSource: 'local', oidcSubject: null, mustChangePassword: false, via: 'session' };
const pdf = (tag: string): Buffer => Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${tag}\n`)]);

for (const engine of ENGINES) {
  describe(`upload recovery on ${engine}`, () => {
    let t: TestDatabase;
    let runtime: Runtime;
    let dataRoot: string;
    let centerA: number;

    before(async () => {
      t = await createTestDatabase(engine);
      dataRoot = tempDataRoot();
      const config = configFrom(ingestEnv(t.env, dataRoot));
      await ensureRuntimeDirectories(config.settings);
      runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
      centerA = (await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' })).id;
    });
    after(async () => {
      await runtime.close();
      await t.dispose();
    });

    test('a failed hand-off answers 500 "Failed to start processing: …" and marks the job error', async () => {
      const broken = { enqueue: async () => Promise.reject(new Error('queue unreachable')) } as unknown as JobQueue;
      const core = new IngestService({ ...runtime.ingest.core.deps, queue: () => broken });
      const api = new ApiUploadService(core);
      const jobId = core.newJobId();
      const stored = await core.storeSource(core.storedPathFor('upload_api', jobId, '.pdf'), Readable.from([pdf(`${engine} handoff`)]));
      const reply = await api.accept(root, { jobId, stored, contentType: 'application/pdf', filename: 'x.pdf', fields: {}, idempotencyKey: '', sniffedVia: 'content' }, '/api/');
      assert.equal(reply.status, 500);
      assert.deepEqual(reply.body, { error: 'Failed to start processing: queue unreachable' });
      const job = await core.find(jobId);
      assert.equal(job?.status, 'error');
      assert.match(job?.errorDetail ?? '', /nicht gestartet/);
    });

    test('the sweep removes stale temp files and unowned copies, keeps owned ones, re-enqueues stale pending jobs and cleans eligible sources', async () => {
      const core = runtime.ingest.core;
      const dir = join(dataRoot, 'storage', 'upload_jobs', 'watcher');
      const id = core.newJobId();
      const stored = await core.storeSource(core.storedPathFor('upload_watcher', id, '.pdf'), Readable.from([pdf(`${engine} sweep`)]));
      await core.ingest({ id, stored, contentType: 'application/pdf', centerId: centerA, sourceSystem: 'watcher', idempotencyKey: `k-${engine}`, ingestMode: 'watcher', storageTier: 'upload_watcher', retentionPolicy: 'delete_after_success', originalFilename: 'x.pdf', createdBy: null, provenance: {} });
      writeFileSync(join(dir, '.abandoned.pdf.0123456789abcdef.tmp'), 'partial');
      writeFileSync(join(dir, '11111111-2222-4333-8444-555555555555.pdf'), 'orphan');
      writeFileSync(join(dir, '.fresh.pdf.0123456789abcdef.tmp'), 'in progress');
      const old = new Date(Date.now() - 2 * 3600_000);
      utimesSync(join(dir, '.abandoned.pdf.0123456789abcdef.tmp'), old, old);
      utimesSync(join(dir, '11111111-2222-4333-8444-555555555555.pdf'), old, old);
      utimesSync(join(dir, `${id}.pdf`), old, old);
      await runtime.db.updateTable('upload_jobs').set({ updated_at: new Date(Date.now() - 3600_000).toISOString() }).where('id', '=', id).execute();
      const summary = await runtime.ingest.recovery.sweep();
      assert.equal(summary.removedTempFiles, 1);
      assert.equal(summary.removedOrphans, 1);
      assert.ok(summary.reenqueued >= 1);
      assert.deepEqual(readdirSync(dir).sort(), ['.fresh.pdf.0123456789abcdef.tmp', `${id}.pdf`].sort());

      await runtime.db.updateTable('upload_jobs').set({ status: 'anonymized', cleanup_status: 'eligible', source_file_delete_eligible_at: new Date().toISOString() }).where('id', '=', id).execute();
      assert.equal((await runtime.ingest.recovery.sweep()).cleanedSources, 1);
      assert.ok(!existsSync(join(dir, `${id}.pdf`)));
      assert.equal((await core.find(id))?.cleanupStatus, 'completed');
    });

    test('retry of a refused drop file puts it (and its sidecar) back into its drop directory; the watcher then ingests it anew', async () => {
      const config = runtime.settings;
      const dropDir = config.paths.importDirs.preanonymized;
      writeFileSync(join(dropDir, 'retry-me.json'), JSON.stringify({ casenumber: 1 }));
      writeFileSync(join(dropDir, 'retry-me.pdf'), pdf(`${engine} retry`));
      const watcher = () =>
        new FileWatcher({
          dirs: config.paths.importDirs,
          handoff: new WatcherHandoff({ ingest: runtime.ingest.core, recovery: runtime.ingest.recovery, defaultCenterKey: 'klinik-a', logger: runtime.logger }),
          logger: runtime.logger,
          stableAfterMs: 0,
          pollMs: 50,
          usePolling: false,
          storageRoot: config.paths.storageDir,
        });
      assert.equal((await watcher().runOnce()).quarantined, 1);
      const failed = (await runtime.ingest.recovery.list(root)).files.find((f) => f.filename === 'retry-me.pdf');
      assert.ok(failed?.upload_job_id);
      // The operator fixes the quarantined sidecar, then retries.
      const job = await runtime.ingest.core.find(failed.upload_job_id);
      writeFileSync(job!.provenance.quarantined_sidecar_path!, JSON.stringify({ casenumber: '1' }));
      const retried = await runtime.ingest.recovery.retry(root, failed.upload_job_id);
      assert.equal(retried.requeued, false);
      assert.ok(existsSync(join(dropDir, 'retry-me.pdf')) && existsSync(join(dropDir, 'retry-me.json')));
      assert.notEqual(retried.job.dismissedAt, null, 'the refused job leaves the warning list');
      assert.equal((await watcher().runOnce()).ingested, 1);
    });

    test('retry refuses while a newer job for the same content is active (409) and keeps the file in quarantine', async () => {
      const core = runtime.ingest.core;
      const content = pdf(`${engine} newer`);
      const first = core.newJobId();
      const stored = await core.storeSource(core.storedPathFor('upload_api', first, '.pdf'), Readable.from([content]));
      const base = { contentType: 'application/pdf', centerId: centerA, sourceSystem: 'api', idempotencyKey: '', ingestMode: 'api' as const, storageTier: 'upload_api' as const, retentionPolicy: 'preserve_source' as const, originalFilename: 'n.pdf', createdBy: 'root', provenance: {} };
      const created = await core.ingest({ ...base, id: first, stored });
      const failed = await core.transition(created.job, { kind: 'mark_error', detail: 'kaputt' });
      const quarantined = await new UploadRecoveryService(core).quarantineStoredSource(failed);
      assert.equal(quarantined.storageClass, 'quarantine');
      const second = core.newJobId();
      await core.ingest({ ...base, id: second, stored: await core.storeSource(core.storedPathFor('upload_api', second, '.pdf'), Readable.from([content])) });
      await assert.rejects(runtime.ingest.recovery.retry(root, first), Conflict);
      const after = await core.find(first);
      assert.equal(after?.status, 'error');
      assert.equal(after?.storageClass, 'quarantine');
      assert.ok(after?.provenance.quarantined_path && existsSync(after.provenance.quarantined_path));
    });
  });
}

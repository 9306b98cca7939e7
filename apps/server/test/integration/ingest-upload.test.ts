import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { isEncryptedFile } from '../../src/adapters/storage/index.js';
import type { App } from '../../src/http/app.js';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import { MAX_UPLOAD_BYTES, UPLOAD_ERRORS } from '../../src/features/ingest/index.js';
import { PdfError } from '../../src/adapters/pdf/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { fakeMp4, ingestEnv, MINIMAL_PDF, signIn, streamUpload, upload, type Session } from './ingest-support.js';

async function startApp(env: Record<string, string>): Promise<{ runtime: Runtime; app: App; base: string }> {
  const config = configFrom(env);
  await ensureRuntimeDirectories(config.settings);
  const runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
  const app = createApiApp(runtime);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { runtime, app, base };
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const noopContext = (runtime: Runtime) => ({ signal: new AbortController().signal, logger: runtime.logger, jobId: 'test-job', attempt: 1 });

for (const engine of ENGINES) {
  describe(`POST /api/upload/ and the upload job lifecycle on ${engine}`, () => {
    let t: TestDatabase;
    let runtime: Runtime;
    let app: App;
    let base: string;
    let dataRoot: string;
    let env: Record<string, string>;
    const sessions: Record<string, Session> = {};
    let centerA: number;
    let centerB: number;

    const uploadDir = (): string => join(dataRoot, 'storage', 'upload_jobs', 'api');
    const storedFiles = (): string[] => (existsSync(uploadDir()) ? readdirSync(uploadDir()) : []);
    const jobRow = (id: string) => runtime.db.selectFrom('upload_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const jobCount = async (): Promise<number> => Number((await runtime.db.selectFrom('upload_jobs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    before(async () => {
      t = await createTestDatabase(engine);
      dataRoot = tempDataRoot();
      env = ingestEnv(t.env, dataRoot);
      ({ runtime, app, base } = await startApp(env));
      centerA = (await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' })).id;
      centerB = (await runtime.centers.ensureCenter({ name: 'Klinik B', centerKey: 'klinik-b' })).id;
      const users = runtime.auth.users;
      await users.create({ username: 'uploader', password: 'Sommer-Endoskopie-7', roles: ['data:write', 'patient:read', 'anonymization:write'], centerKeys: ['klinik-a'] }, 'test');
      await users.create({ username: 'other', password: 'Sommer-Endoskopie-7', roles: ['data:write', 'patient:read', 'anonymization:write'], centerKeys: ['klinik-b'] }, 'test');
      await users.create({ username: 'both', password: 'Sommer-Endoskopie-7', roles: ['data:write', 'patient:read'], centerKeys: ['klinik-a', 'klinik-b'] }, 'test');
      await users.create({ username: 'nocenter', password: 'Sommer-Endoskopie-7', roles: ['endoregdb_user'] }, 'test');
      await users.create({ username: 'reader', password: 'Sommer-Endoskopie-7', roles: ['patient:read'], centerKeys: ['klinik-a'] }, 'test');
      await users.create({ username: 'root', password: 'Sommer-Endoskopie-7', superuser: true }, 'test');
      for (const name of ['uploader', 'other', 'both', 'nocenter', 'reader', 'root']) sessions[name] = await signIn(base, name);
    });
    after(async () => {
      await app.close();
      await runtime.close();
      await t.dispose();
    });

    test('a PDF is stored encrypted under its job id, hashed, and answered 201 with the status URL of its prefix', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} first\n`)]);
      const r = await upload(base, sessions.uploader, { name: 'Befund Mustermann.pdf', content }, { source_system: 'kis' }, { prefix: '/endoreg-api/' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.message, 'Upload job created successfully');
      assert.equal(r.body.status_url, `/endoreg-api/upload/${r.body.upload_id}/status/`);
      const row = await jobRow(r.body.upload_id);
      assert.equal(row.status, 'pending');
      assert.equal(row.content_type, 'application/pdf');
      assert.equal(row.content_hash, sha256(content));
      assert.equal(row.source_system, 'kis');
      assert.equal(row.ingest_mode, 'api');
      assert.equal(row.storage_tier, 'upload_api');
      assert.equal(row.storage_class, 'ingest');
      assert.equal(row.retention_policy, 'preserve_source');
      assert.equal(row.original_filename, 'Befund Mustermann.pdf');
      assert.equal(Number(row.source_center_id), centerA);
      assert.equal(row.file, `upload_jobs/api/${r.body.upload_id}.pdf`);
      const stored = join(dataRoot, 'storage', row.file);
      assert.ok(await isEncryptedFile(stored), 'stored copy is LXENC01');
      assert.ok(!readFileSync(stored).includes(Buffer.from('%PDF')), 'no plaintext on disk');
      const provenance = JSON.parse(row.processing_provenance);
      assert.equal(provenance.entrypoint, 'upload_api');
      assert.equal(provenance.resolved_center_key, 'klinik-a');
      assert.equal(provenance.content_hash, sha256(content));

      const status = await fetch(`${base}/api/upload/${r.body.upload_id}/status/`, { headers: sessions.uploader!.headers });
      assert.equal(status.status, 200);
      assert.deepEqual(await status.json(), {
        id: r.body.upload_id,
        status: 'pending',
        error_detail: '',
        sensitive_meta_id: null,
        text: null,
        anonymized_text: null,
        source_center_key: 'klinik-a',
        source_system: 'kis',
        ingest_mode: 'api',
        report_llm_job: null,
      });
      const queued = await runtime.jobQueue.list({ name: 'ingest.process_upload_job', limit: 50 });
      assert.ok(queued.some((j) => (j.payload as { uploadJobId: string }).uploadJobId === r.body.upload_id), 'processing handed to the pipeline queue');
      const events = await runtime.db.selectFrom('audit_ledger').select(['action', 'data']).where('object_pk', '=', r.body.upload_id).execute();
      const resolved = events.find((e) => e.action === 'hub.center_resolved');
      assert.ok(resolved, 'hub.center_resolved recorded');
      assert.equal(JSON.parse(resolved.data).resolved_center_key, 'klinik-a');
    });

    test('the same content again reuses the job (200) and leaves no second stored copy; Idempotency-Key header wins over the field', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} reuse\n`)]);
      const first = await upload(base, sessions.uploader, { name: 'a.pdf', content });
      assert.equal(first.status, 201);
      const before = storedFiles().length;
      const again = await upload(base, sessions.uploader, { name: 'b.pdf', content });
      assert.equal(again.status, 200);
      assert.equal(again.body.upload_id, first.body.upload_id);
      assert.equal(storedFiles().length, before, 'the duplicate copy was deleted');

      const keyed = await upload(base, sessions.uploader, { name: 'c.pdf', content: Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} keyed 1\n`)]) }, { idempotency_key: 'field-key' }, { headers: { 'Idempotency-Key': ' header-key ' } });
      assert.equal(keyed.status, 201);
      assert.equal((await jobRow(keyed.body.upload_id)).idempotency_key, 'header-key');
      const sameKey = await upload(base, sessions.uploader, { name: 'd.pdf', content: Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} keyed 2\n`)]) }, {}, { headers: { 'Idempotency-Key': 'header-key' } });
      assert.equal(sameKey.status, 200);
      assert.equal(sameKey.body.upload_id, keyed.body.upload_id);
    });

    test('§3.1 validation: each refusal has its message, in the documented order, and stores nothing', async () => {
      const storedBefore = storedFiles().length;
      const jobsBefore = await jobCount();
      const s = sessions.uploader;
      assert.deepEqual(await upload(base, s, undefined, { center_key: 'klinik-a' }), { status: 400, body: { error: UPLOAD_ERRORS.noFile } });
      assert.deepEqual(await upload(base, s, undefined, { file: 'not a file' }), { status: 400, body: { error: UPLOAD_ERRORS.notAFile } });
      assert.deepEqual(await upload(base, s, { name: 'x.pdf', content: MINIMAL_PDF }, { patient: 'x', zeta: '1' }), { status: 400, body: { error: 'Unknown upload request field(s): patient, zeta' } });
      // Unknown fields come before an empty file (step 2 before its size checks).
      assert.equal((await upload(base, s, { name: 'x.pdf', content: '' }, { zeta: '1' })).body.error, 'Unknown upload request field(s): zeta');
      assert.deepEqual(await upload(base, s, { name: 'x.pdf', content: MINIMAL_PDF }, { center_key: 'k'.repeat(256) }), { status: 400, body: { error: UPLOAD_ERRORS.fieldTooLong('center_key') } });
      assert.deepEqual(await upload(base, s, { name: 'x.pdf', content: '' }), { status: 400, body: { error: UPLOAD_ERRORS.empty } });
      assert.match((await upload(base, s, { name: 'x.pdf', content: '' })).body.error, /^Uploaded file is empty/);
      // A text file named .pdf is text/plain by content (libmagic-like), not a PDF by its name.
      assert.deepEqual(await upload(base, s, { name: 'befund.pdf', content: 'Patient: Max Mustermann\n' }), { status: 400, body: { error: UPLOAD_ERRORS.unsupported('text/plain') } });
      const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(100)]);
      assert.match((await upload(base, s, { name: 'bild.pdf', content: jpeg })).body.error, /^Unsupported file type: image\/jpeg/);
      const binary = Buffer.from([0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x00, 0x10]);
      assert.deepEqual(await upload(base, s, { name: 'data.bin', content: binary }), { status: 400, body: { error: UPLOAD_ERRORS.undetermined } });
      // Unknown content falls back to the extension, then to the suffix table (.m4v → video/mp4).
      const byExtension = await upload(base, s, { name: 'clip.m4v', content: Buffer.concat([binary, Buffer.from(engine)]) });
      assert.equal(byExtension.status, 201, JSON.stringify(byExtension.body));
      assert.equal((await jobRow(byExtension.body.upload_id)).content_type, 'video/mp4');
      assert.equal(storedFiles().length, storedBefore + 1);
      assert.equal(await jobCount(), jobsBefore + 1);
    });

    test('a non-multipart request and a second file part are refused', async () => {
      const json = await fetch(`${base}/api/upload/`, { method: 'POST', headers: { ...sessions.uploader!.headers, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(json.status, 400);
      assert.deepEqual(await json.json(), { error: UPLOAD_ERRORS.noFile });
      const form = new FormData();
      form.append('file', new Blob([MINIMAL_PDF]), 'a.pdf');
      form.append('file', new Blob([MINIMAL_PDF]), 'b.pdf');
      const two = await fetch(`${base}/api/upload/`, { method: 'POST', headers: sessions.uploader!.headers, body: form });
      assert.equal(two.status, 400);
      assert.deepEqual(await two.json(), { error: UPLOAD_ERRORS.fileRepeated });
    });

    test('§3.2 non-strict center rules: own center first, declared for multi-center and unrestricted users, default otherwise; scope enforced', async () => {
      const pdf = (tag: string) => ({ name: 'r.pdf', content: Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} ${tag}\n`)]) });
      const own = await upload(base, sessions.uploader, pdf('own'), { center_key: 'klinik-b' });
      assert.equal(own.status, 201);
      assert.equal(Number((await jobRow(own.body.upload_id)).source_center_id), centerA, 'the user center wins over the declared one');
      const declared = await upload(base, sessions.both, pdf('declared'), { center_key: 'klinik-b' });
      assert.equal(Number((await jobRow(declared.body.upload_id)).source_center_id), centerB);
      const root = await upload(base, sessions.root, pdf('root'), { center_name: 'Klinik B' });
      assert.equal(Number((await jobRow(root.body.upload_id)).source_center_id), centerB);
      const fallback = await upload(base, sessions.root, pdf('fallback'));
      assert.equal(Number((await jobRow(fallback.body.upload_id)).source_center_id), centerA, 'first center by id is the default');
      assert.deepEqual(await upload(base, sessions.root, pdf('unknown'), { center_key: 'nowhere' }), { status: 400, body: { error: 'Unknown center_key: nowhere' } });
      assert.deepEqual(await upload(base, sessions.root, pdf('mismatch'), { center_key: 'klinik-a', center_name: 'Klinik B' }), { status: 400, body: { error: 'center_key and center_name refer to different centers' } });
      assert.deepEqual(await upload(base, sessions.nocenter, pdf('nocenter')), { status: 403, body: { error: 'You do not have access to upload jobs.' } });
      const outside = await upload(base, sessions.both, pdf('outside'), { center_key: 'klinik-c-missing' });
      assert.equal(outside.status, 400);
      await runtime.centers.ensureCenter({ name: 'Klinik C', centerKey: 'klinik-c' });
      const foreign = await upload(base, sessions.both, pdf('foreign'), { center_key: 'klinik-c' });
      assert.equal(foreign.status, 403);
      assert.match(foreign.body.error, /outside the authenticated scope/);
      // Without a declaration a multi-center user falls back to the default center, which is in scope here.
      assert.equal((await upload(base, sessions.both, pdf('both-default'))).status, 201);
    });

    test('a user without the data:write role is refused by the route policy before the body is read', async () => {
      const r = await upload(base, sessions.reader, { name: 'x.pdf', content: MINIMAL_PDF });
      assert.equal(r.status, 403);
      assert.deepEqual(r.body, { detail: 'You do not have permission to perform this action.' });
      const anonymous = await upload(base, undefined, { name: 'x.pdf', content: MINIMAL_PDF });
      assert.equal(anonymous.status, 403);
    });

    test('status: 404 for unknown ids and other centers, 403 without any center', async () => {
      const mine = await upload(base, sessions.uploader, { name: 's.pdf', content: Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} status\n`)]) });
      const url = `${base}/api/upload/${mine.body.upload_id}/status/`;
      assert.equal((await fetch(url, { headers: sessions.other!.headers })).status, 404);
      const none = await fetch(url, { headers: sessions.nocenter!.headers });
      assert.equal(none.status, 403);
      assert.equal((await fetch(`${base}/api/upload/not-a-uuid/status/`, { headers: sessions.uploader!.headers })).status, 404);
      assert.equal((await fetch(`${base}/api/upload/00000000-0000-4000-8000-000000000000/status/`, { headers: sessions.uploader!.headers })).status, 404);
      assert.equal((await fetch(url, { headers: sessions.root!.headers })).status, 200);
    });

    test('two identical uploads racing each other end in one job: the loser reuses it', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} race\n`)]);
      const results = await Promise.all([1, 2, 3].map(() => upload(base, sessions.uploader, { name: 'race.pdf', content })));
      const ids = new Set(results.map((r) => r.body.upload_id));
      assert.equal(ids.size, 1, JSON.stringify(results));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 201]);
      const rows = await runtime.db.selectFrom('upload_jobs').select('id').where('content_hash', '=', sha256(content)).execute();
      assert.equal(rows.length, 1);
      assert.equal(storedFiles().filter((f) => f.startsWith(rows[0]!.id)).length, 1);
      assert.ok(!storedFiles().some((f) => f.endsWith('.tmp')));
    });

    test('an upload cut off mid-body leaves no file, no temp file and no job', async () => {
      const jobsBefore = await jobCount();
      const filesBefore = storedFiles().length;
      await new Promise<void>((resolve) => {
        const boundary = 'cutoffboundary';
        const req = httpRequest(`${base}/api/upload/`, { method: 'POST', headers: { ...sessions.uploader!.headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(50 * 1024 * 1024) } });
        req.on('error', () => resolve());
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.mp4"\r\n\r\n`);
        req.write(fakeMp4(4 * 1024 * 1024), () => setTimeout(() => {
          req.destroy();
          resolve();
        }, 300));
      });
      for (let i = 0; i < 50 && storedFiles().some((f) => f.endsWith('.tmp')); i += 1) await new Promise((r) => setTimeout(r, 100));
      assert.equal(storedFiles().length, filesBefore);
      assert.ok(!storedFiles().some((f) => f.endsWith('.tmp')));
      assert.equal(await jobCount(), jobsBefore);
    });

    test('one byte over 1 GiB is refused while streaming: File too large, no file and no job left', async () => {
      const jobsBefore = await jobCount();
      const filesBefore = storedFiles().length;
      const r = await streamUpload(`${base}/api/upload/`, sessions.uploader!.headers, 'huge.mp4', MAX_UPLOAD_BYTES + 1, { head: fakeMp4(64) });
      assert.equal(r.status, 400);
      assert.deepEqual(JSON.parse(r.body), { error: UPLOAD_ERRORS.tooLarge });
      assert.equal(storedFiles().length, filesBefore);
      assert.equal(await jobCount(), jobsBefore);
    });

    test('a stale pending job is superseded (old → error); a completed job whose media is gone is marked lost and re-ingested', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} stale\n`)]);
      const first = await upload(base, sessions.uploader, { name: 'st.pdf', content });
      const threeHoursAgo = new Date(Date.now() - 3 * 3600_000).toISOString();
      await runtime.db.updateTable('upload_jobs').set({ updated_at: threeHoursAgo }).where('id', '=', first.body.upload_id).execute();
      const second = await upload(base, sessions.uploader, { name: 'st.pdf', content });
      assert.equal(second.status, 201);
      assert.notEqual(second.body.upload_id, first.body.upload_id);
      const old = await jobRow(first.body.upload_id);
      assert.equal(old.status, 'error');
      assert.match(old.error_detail, /Ersetzt durch erneuten Import/);
      assert.equal(JSON.parse(old.processing_provenance).superseded_by_upload_job_id, second.body.upload_id);

      await runtime.db.updateTable('upload_jobs').set({ status: 'anonymized' }).where('id', '=', second.body.upload_id).execute();
      const third = await upload(base, sessions.uploader, { name: 'st.pdf', content });
      assert.equal(third.status, 201);
      const lost = await jobRow(second.body.upload_id);
      assert.equal(lost.status, 'lost');
      assert.equal(JSON.parse(lost.processing_provenance).media_integrity_status, 'failed');
    });

    test('a report the import cannot read (a blank page) fails clearly, quarantines the source; retry brings it back, dismiss hides it', async () => {
      const content = Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} process\n`)]);
      const r = await upload(base, sessions.uploader, { name: 'Bericht.pdf', content });
      await assert.rejects(runtime.ingest.processing.process(r.body.upload_id, noopContext(runtime)), /failed/);
      const failed = await jobRow(r.body.upload_id);
      assert.equal(failed.status, 'error');
      assert.equal(failed.error_detail, new PdfError('no_content', '').detailDe);
      assert.equal(failed.storage_class, 'quarantine');
      const quarantined = JSON.parse(failed.processing_provenance).quarantined_path as string;
      assert.ok(quarantined.startsWith(join(dataRoot, 'quarantine')));
      assert.ok(existsSync(quarantined) && (await isEncryptedFile(quarantined)), 'the encrypted copy moved to quarantine');
      assert.ok(!existsSync(join(dataRoot, 'storage', failed.file)));

      const listing = (await (await fetch(`${base}/api/runtime/quarantine/`, { headers: sessions.uploader!.headers })).json()) as { files: { upload_job_id: string; filename: string; size: number; reason: string }[] };
      const entry = listing.files.find((f) => f.upload_job_id === r.body.upload_id);
      assert.ok(entry, JSON.stringify(listing));
      assert.equal(entry.filename, 'Bericht.pdf');
      assert.equal(entry.size, content.length);
      assert.equal(entry.reason, new PdfError('no_content', '').detailDe);
      assert.ok(!JSON.stringify(listing).includes(dataRoot), 'no path in the listing');
      const foreign = (await (await fetch(`${base}/endoreg-api/runtime/quarantine/`, { headers: sessions.other!.headers })).json()) as { files: { upload_job_id: string }[] };
      assert.ok(!foreign.files.some((f) => f.upload_job_id === r.body.upload_id), 'other centers do not see it');

      const retry = await fetch(`${base}/api/anonymization/upload-jobs/${r.body.upload_id}/retry/`, { method: 'POST', headers: sessions.uploader!.headers });
      assert.equal(retry.status, 200);
      const retried = (await retry.json()) as { status: string; requeued: boolean };
      assert.equal(retried.status, 'pending');
      assert.equal(retried.requeued, true);
      assert.ok(existsSync(join(dataRoot, 'storage', failed.file)), 'the copy is back in storage');
      assert.ok(!existsSync(quarantined));
      assert.equal((await fetch(`${base}/api/upload/${r.body.upload_id}/retry/`, { method: 'POST', headers: sessions.uploader!.headers })).status, 409, 'only failed jobs can be retried');

      await assert.rejects(runtime.ingest.processing.process(r.body.upload_id, noopContext(runtime)));
      const dismissed = await fetch(`${base}/api/upload/${r.body.upload_id}/dismiss/`, { method: 'POST', headers: sessions.uploader!.headers });
      assert.equal(dismissed.status, 200);
      assert.equal(((await dismissed.json()) as { dismissed: boolean }).dismissed, true);
      assert.equal((await fetch(`${base}/api/upload/${r.body.upload_id}/dismiss/`, { method: 'POST', headers: sessions.other!.headers })).status, 404);
      const after = (await (await fetch(`${base}/api/runtime/quarantine/`, { headers: sessions.uploader!.headers })).json()) as { files: { upload_job_id: string; dismissed: boolean }[] };
      assert.equal(after.files.find((f) => f.upload_job_id === r.body.upload_id)?.dismissed, true);
    });

    test('central_hub: authenticated caller and a declared center_key that resolves inside the scope, no fallback', async () => {
      const hub = await startApp({ ...env, ENDOREG_DEPLOYMENT_ROLE: 'central_hub' });
      try {
        const hubSessions = { uploader: await signIn(hub.base, 'uploader'), root: await signIn(hub.base, 'root'), nocenter: await signIn(hub.base, 'nocenter') };
        const pdf = (tag: string) => ({ name: 'h.pdf', content: Buffer.concat([MINIMAL_PDF, Buffer.from(`% ${engine} hub ${tag}\n`)]) });
        assert.deepEqual(await upload(hub.base, hubSessions.uploader, pdf('1')), { status: 400, body: { error: 'center_key is required for central hub API uploads.' } });
        assert.deepEqual(await upload(hub.base, hubSessions.uploader, pdf('2'), { center_key: 'nowhere' }), { status: 400, body: { error: 'center_key is required for central hub API uploads.' } });
        const outside = await upload(hub.base, hubSessions.uploader, pdf('3'), { center_key: 'klinik-b' });
        assert.equal(outside.status, 403);
        assert.match(outside.body.error, /outside the authenticated scope/);
        const none = await upload(hub.base, hubSessions.nocenter, pdf('4'), { center_key: 'klinik-a' });
        assert.deepEqual(none, { status: 403, body: { error: 'You do not have access to upload jobs.' } });
        const ok = await upload(hub.base, hubSessions.uploader, pdf('5'), { center_key: 'klinik-a' });
        assert.equal(ok.status, 201);
        const provenance = JSON.parse((await jobRow(ok.body.upload_id)).processing_provenance);
        assert.equal(provenance.hub_mode, 'central_hub');
        assert.equal(provenance.declared_center_key, 'klinik-a');
        assert.equal((await upload(hub.base, hubSessions.root, pdf('6'), { center_key: 'klinik-b' })).status, 201);
      } finally {
        await hub.app.close();
        await hub.runtime.close();
      }
    });
  });
}

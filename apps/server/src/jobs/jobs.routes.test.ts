import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { JobListResponse, JobSummary } from '@lx/contracts';
import type { RouteOptions } from 'fastify';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../test/helpers/engines.js';
import { buildApp, type App } from '../http/app.js';
import { createLogger } from '../log/logger.js';
import { createJobQueue, QUEUE_ROLES, registerJobRoutes, type JobQueue, type QueueRole } from './index.js';

const NAMES = Object.fromEntries(QUEUE_ROLES.map((r) => [r, r])) as Record<QueueRole, string>;

for (const engine of ENGINES) {
  describe(`jobs API on ${engine}`, () => {
    let t: TestDatabase;
    let queue: JobQueue;
    let app: App;
    const routes: RouteOptions[] = [];
    let video: string;
    let pdf: string;
    let scoped: App;

    before(async () => {
      t = await createTestDatabase(engine);
      const logger = createLogger({ level: 'silent' });
      queue = createJobQueue({ database: t.config, queues: NAMES }, t.db, logger);
      app = buildApp({ logger, trustedProxies: [] });
      app.addHook('onRoute', (route) => void routes.push(route));
      registerJobRoutes(app, queue);
      await app.ready();
      scoped = buildApp({ logger, trustedProxies: [] });
      registerJobRoutes(scoped, queue, { centerScope: (request) => Number(request.headers['x-test-center']) });
      await scoped.ready();
      const later = new Date(Date.now() + 3_600_000);
      video = await queue.enqueue('ffmpeg_media', 'media.transcode', { videoId: 12, note: 'Patient Max Mustermann', path: '/data/x.mp4', nested: { videoId: 1 } }, { runAt: later, centerId: 1 });
      pdf = await queue.enqueue('pipeline', 'reports.anonymize', { pdf_id: 5, upload_job_id: randomUUID(), id: 'not-a-uuid' }, { runAt: later, centerId: 2 });
    });
    after(async () => {
      await app.close();
      await scoped.close();
      await queue.close();
      await t.dispose();
    });

    test('every jobs route declares the jobs resource, under both API prefixes', () => {
      const jobRoutes = routes.filter((r) => r.url.includes('/jobs/'));
      for (const r of jobRoutes) assert.equal(r.config?.resource, 'jobs', `${String(r.method)} ${r.url}`);
      assert.deepEqual(jobRoutes.filter((r) => r.method === 'GET').map((r) => `GET ${r.url}`).sort(), [
        'GET /api/jobs/',
        'GET /api/jobs/:id/',
        'GET /endoreg-api/jobs/',
        'GET /endoreg-api/jobs/:id/',
      ]);
    });

    test('list: newest first, filters, the contract shape, ids only from payloads', async () => {
      for (const prefix of ['/api', '/endoreg-api']) {
        const res = await app.inject({ method: 'GET', url: `${prefix}/jobs/` });
        assert.equal(res.statusCode, 200);
        const body = JobListResponse.parse(res.json());
        assert.equal(body.count, 2);
        assert.deepEqual(body.results.map((j) => j.id), [pdf, video]);
        const v = body.results[1] as JobSummary;
        assert.deepEqual(v.refs, { videoId: 12 });
        assert.equal(v.state, 'queued');
        assert.equal(v.queue, 'ffmpeg_media');
        assert.equal(v.name, 'media.transcode');
        assert.equal(v.max_attempts, 4);
        assert.equal(res.body.includes('Mustermann'), false);
        assert.equal(res.body.includes('/data/x.mp4'), false);
        assert.deepEqual(Object.keys((body.results[0] as JobSummary).refs).sort(), ['pdf_id', 'upload_job_id']);
      }
      const filtered = JobListResponse.parse((await app.inject({ method: 'GET', url: '/api/jobs/?queue=pipeline&state=queued&limit=5' })).json());
      assert.deepEqual(filtered.results.map((j) => j.id), [pdf]);
      const byName = JobListResponse.parse((await app.inject({ method: 'GET', url: '/api/jobs/?name=media.transcode' })).json());
      assert.deepEqual(byName.results.map((j) => j.id), [video]);
      const limited = JobListResponse.parse((await app.inject({ method: 'GET', url: '/api/jobs/?limit=1' })).json());
      assert.equal(limited.count, 1);
    });

    test('invalid query parameters are a 400 in the original error shape', async () => {
      for (const query of ['state=running', 'limit=0', 'limit=501', 'limit=abc', 'queue=a%20b', 'name=DROP%20TABLE']) {
        const res = await app.inject({ method: 'GET', url: `/api/jobs/?${query}` });
        assert.equal(res.statusCode, 400, query);
        assert.equal(res.json().error, 'Invalid request');
      }
    });

    test('one job by id; unknown ids 404 with detail; malformed ids 400', async () => {
      const res = await app.inject({ method: 'GET', url: `/endoreg-api/jobs/${video}/` });
      assert.equal(res.statusCode, 200);
      const job = JobSummary.parse(res.json());
      assert.equal(job.id, video);
      assert.equal(job.center_id, 1);
      const missing = await app.inject({ method: 'GET', url: `/api/jobs/${randomUUID()}/` });
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), { detail: 'Job not found.' });
      assert.equal((await app.inject({ method: 'GET', url: '/api/jobs/12/' })).statusCode, 400);
    });

    test('with a center scope, another center’s jobs are invisible and answer like missing ones', async () => {
      const list = JobListResponse.parse((await scoped.inject({ method: 'GET', url: '/api/jobs/', headers: { 'x-test-center': '1' } })).json());
      assert.deepEqual(list.results.map((j) => j.id), [video]);
      assert.equal((await scoped.inject({ method: 'GET', url: `/api/jobs/${video}/`, headers: { 'x-test-center': '1' } })).statusCode, 200);
      const foreign = await scoped.inject({ method: 'GET', url: `/api/jobs/${pdf}/`, headers: { 'x-test-center': '1' } });
      assert.equal(foreign.statusCode, 404);
      assert.deepEqual(foreign.json(), { detail: 'Job not found.' });
    });
  });
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z, ZodError } from 'zod';
import { jobErrorText } from './error-text.js';
import { DEFAULT_RETRY, retryDelaySeconds, UnknownQueueError, type QueueRole } from './job-queue.js';
import { purgeFinishedJobsJob } from './maintenance.jobs.js';
import { checkEnqueue, physicalQueues, QUEUE_ROLES, rolesForQueueNames } from './queues.js';
import { defineJob, JobRegistry } from './registry.js';

const DEFAULT_NAMES = Object.fromEntries(QUEUE_ROLES.map((r) => [r, r])) as Record<QueueRole, string>;

describe('queue names', () => {
  test('the nine queues of the original', () => {
    assert.deepEqual(QUEUE_ROLES, ['default', 'pipeline', 'frame_extraction', 'ffmpeg_media', 'inference', 'model_training', 'llm_inference', 'maintenance', 'hub_transfer']);
  });

  test('operator queue names map to roles; an unknown one is refused naming the configured queues', () => {
    assert.deepEqual(rolesForQueueNames(DEFAULT_NAMES, ['maintenance', 'pipeline']), ['pipeline', 'maintenance']);
    assert.throws(
      () => rolesForQueueNames(DEFAULT_NAMES, ['pipeline', 'gpu', 'celery']),
      (e: unknown) => e instanceof UnknownQueueError && /unknown queues "gpu", "celery"; configured queues: default, pipeline,.*hub_transfer/.test(e.message),
    );
  });

  test('two roles configured onto one queue are served together and counted once', () => {
    const names = { ...DEFAULT_NAMES, frame_extraction: 'ffmpeg_media' };
    assert.deepEqual(rolesForQueueNames(names, ['ffmpeg_media']), ['frame_extraction', 'ffmpeg_media']);
    assert.deepEqual(physicalQueues(names, ['frame_extraction', 'ffmpeg_media']), ['ffmpeg_media']);
    assert.throws(() => rolesForQueueNames(names, ['frame_extraction']), UnknownQueueError);
  });
});

describe('enqueue checks', () => {
  test('payload must be a small JSON object; names and options are validated', () => {
    assert.equal(checkEnqueue('media.x', { videoId: 1 }).payloadJson, '{"videoId":1}');
    assert.deepEqual(checkEnqueue('media.x', {}).retry, DEFAULT_RETRY);
    assert.throws(() => checkEnqueue('Media X', {}), /job name/);
    assert.throws(() => checkEnqueue('media.x', [1]), /JSON object/);
    assert.throws(() => checkEnqueue('media.x', null), /JSON object/);
    assert.throws(() => checkEnqueue('media.x', { blob: 'x'.repeat(70_000) }), /larger than 64 KiB/);
    assert.throws(() => checkEnqueue('media.x', {}, { retry: { limit: 1, backoffSeconds: 0.5, maxBackoffSeconds: 1 } }), ZodError);
    assert.throws(() => checkEnqueue('media.x', {}, { retry: { limit: 1, backoffSeconds: 10, maxBackoffSeconds: 5 } }), ZodError);
    assert.throws(() => checkEnqueue('media.x', {}, { runAt: new Date('nope') }), ZodError);
  });
});

describe('retry delays', () => {
  test('exponential from the base, capped', () => {
    const retry = { limit: 10, backoffSeconds: 5, maxBackoffSeconds: 60 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryDelaySeconds(retry, n)), [5, 10, 20, 40, 60, 60]);
    assert.equal(retryDelaySeconds({ limit: 1, backoffSeconds: 0, maxBackoffSeconds: 0 }, 3), 0);
    assert.equal(retryDelaySeconds({ limit: 100, backoffSeconds: 1, maxBackoffSeconds: 600 }, 100), 600);
  });
});

describe('job error text', () => {
  test('keeps the message, drops credentials, secrets and paths, truncates', () => {
    const text = jobErrorText(new Error('video 12: cannot open /data/import/Mueller Hans.mp4 (connect postgres://lx:s3cret@db:5432/lx failed, token=abc123)'));
    assert.match(text, /^video 12: cannot open \[path\]/);
    for (const leak of ['Mueller', 'Hans', 's3cret', 'abc123', '/data/']) assert.equal(text.includes(leak), false, `${leak} leaked into "${text}"`);
    assert.equal(jobErrorText(new TypeError('x')), 'TypeError: x');
    assert.equal(jobErrorText('plain'), 'plain');
    assert.equal(jobErrorText(new Error('e'.repeat(2000))).length, 500);
    assert.equal(jobErrorText(new Error('a\u0000b\r\nc')), 'a b c');
  });

  test('payload validation errors name fields and issue codes, never the values', () => {
    const error = z.object({ videoId: z.number(), note: z.string() }).safeParse({ videoId: 'Max Mustermann', note: 3 }).error;
    const text = jobErrorText(error);
    assert.equal(text, 'invalid payload: videoId: invalid_type; note: invalid_type');
  });
});

describe('registry', () => {
  const job = defineJob({ name: 'media.probe', queue: 'ffmpeg_media', payload: z.object({ videoId: z.number() }), handler: async () => undefined });

  test('definitions by name and by queue; duplicates refused; default retry applied', () => {
    const registry = new JobRegistry([job, purgeFinishedJobsJob(14)]);
    assert.equal(registry.get('media.probe'), job);
    assert.deepEqual(job.retry, DEFAULT_RETRY);
    assert.deepEqual(registry.forQueues(['maintenance']).map((d) => d.name), ['jobs.purge-finished']);
    assert.deepEqual(registry.forQueues(['ffmpeg_media', 'maintenance']).map((d) => d.name), ['media.probe', 'jobs.purge-finished']);
    assert.throws(() => registry.register(job), /defined twice/);
    assert.throws(() => registry.register({ ...job, name: 'x.y', queue: 'gpu' as QueueRole }), /unknown queue role/);
  });
});

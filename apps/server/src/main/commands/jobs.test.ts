import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JobSummary } from '@lx/contracts';
import { ConfigError } from '../../config/index.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { configFrom, tempDataRoot } from '../../../test/helpers/env.js';
import { childEnv, REPO_ROOT } from '../../../test/helpers/processes.js';
import { runCli } from '../cli.js';

const CLI = resolve(REPO_ROOT, 'apps/server/src/main/cli.ts');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The CLI in this process (the worker itself runs as a child, since it waits for signals). */
async function cli(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), loadConfig: () => configFrom(env) });
  return { status, stdout, stderr };
}

describe('worker settings', () => {
  test('CELERY_LOG_LEVEL maps Celery level names to the worker log level; retention days are bounded', () => {
    const root = tempDataRoot();
    const settings = (env: Record<string, string>) => configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, ...env }).settings.jobs;
    assert.deepEqual(settings({}), { retentionDays: 14, workerLogLevel: 'info' });
    assert.equal(settings({ CELERY_LOG_LEVEL: 'WARNING' }).workerLogLevel, 'warn');
    assert.equal(settings({ CELERY_LOG_LEVEL: 'critical' }).workerLogLevel, 'fatal');
    assert.throws(() => settings({ CELERY_LOG_LEVEL: 'LOUD' }), (e: unknown) => e instanceof ConfigError && /CELERY_LOG_LEVEL/.test(e.message));
    assert.equal(settings({ LX_ANNOTATE_JOBS_RETENTION_DAYS: '30' }).retentionDays, 30);
    assert.throws(() => settings({ LX_ANNOTATE_JOBS_RETENTION_DAYS: '0' }), ConfigError);
  });
});

for (const engine of ENGINES) {
  describe(`worker and jobs commands on ${engine}`, () => {
    let t: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      t = await createTestDatabase(engine);
      env = { DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), CELERY_PIPELINE_QUEUE: 'pipeline_a', ...t.env };
    });
    after(() => t.dispose());

    test('bad usage exits 2 with a clear message', async () => {
      const unknown = await cli(['worker', '--queues', 'maintenance,gpu'], env);
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /unknown queue "gpu"; configured queues: default, pipeline_a, frame_extraction/);
      assert.match(unknown.stderr, /not created on demand/);
      // The role name is not a queue name once CELERY_PIPELINE_QUEUE renames it.
      assert.equal((await cli(['worker', '--queues', 'pipeline'], env)).status, 2);
      assert.equal((await cli(['worker', '--concurrency', '0'], env)).status, 2);
      assert.equal((await cli(['jobs'], env)).status, 2);
      assert.equal((await cli(['jobs', 'list', '--state', 'running'], env)).status, 2);
      const badQueue = await cli(['jobs', 'list', '--queue', 'nope'], env);
      assert.equal(badQueue.status, 2);
      assert.match(badQueue.stderr, /unknown queue "nope"/);
    });

    test('jobs list on an empty queue', async () => {
      const r = await cli(['jobs', 'list'], env);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'no jobs\n');
    });

    test('worker runs its queues (the periodic purge included), logs JSON, stops on SIGTERM with 0; jobs list shows the jobs', async () => {
      const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CLI, 'worker', '--queues', 'maintenance', '--concurrency', '2'], {
        cwd: REPO_ROOT,
        env: childEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        const deadline = Date.now() + 60_000;
        while (!output.includes('"msg":"purged finished jobs past retention"')) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`worker did not run the purge job:\n${output}`);
          await sleep(100);
        }
        const listed = await cli(['jobs', 'list', '--queue', 'maintenance', '--json'], env);
        assert.equal(listed.status, 0, listed.stderr);
        // Other features register periodic maintenance jobs too; this test is about the purge.
        const jobs = JobSummary.array().parse(JSON.parse(listed.stdout)).filter((j) => j.name === 'jobs.purge-finished');
        assert.equal(jobs.length, 1);
        assert.equal(jobs[0]?.name, 'jobs.purge-finished');
        assert.equal(jobs[0]?.state, 'completed');
        const table = await cli(['jobs', 'list', '--state', 'completed'], env);
        assert.equal(table.status, 0, table.stderr);
        assert.match(table.stdout, /^ID\s+QUEUE\s+NAME\s+STATE\s+TRIES/);
        assert.match(table.stdout, new RegExp(`${jobs[0]?.id}\\s+maintenance\\s+jobs\\.purge-finished\\s+completed\\s+1/3`));
        child.kill('SIGTERM');
        assert.equal(await exited, 0, output);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      const lines = output.split('\n').filter((l) => l.trim() !== '');
      for (const line of lines) JSON.parse(line);
      const started = lines.map((l) => JSON.parse(l) as { msg: string; queues?: string[]; service?: string }).find((l) => l.msg === 'lx-annotate worker started');
      assert.deepEqual(started?.queues, ['maintenance']);
      assert.equal(started?.service, 'lx-annotate-worker');
      assert.match(output, /"msg":"lx-annotate worker stopped"/);
      assert.doesNotMatch(output, /listening/i);
    });
  });
}

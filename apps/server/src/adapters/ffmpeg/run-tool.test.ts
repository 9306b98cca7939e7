import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MediaToolError } from './errors.js';
import { runTool, stderrTail } from './run-tool.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
let dir: string;

/** Running (a zombie waiting for a reaper that never comes in a container counts as gone). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) Z/.test(stat);
}

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

describe('runTool', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lx-runtool-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns stdout and passes arguments verbatim, without a shell', async () => {
    const { stdout } = await runTool({ tool: 'printf', command: 'printf', args: ['%s|', 'a b', '$HOME', ';rm -rf /'], env: ENV, totalTimeoutSeconds: 10, idleTimeoutSeconds: 10, captureStdout: true });
    assert.equal(stdout.toString(), 'a b|$HOME|;rm -rf /|');
  });

  it('gives the child only the environment it is handed', async () => {
    process.env.LX_TEST_SECRET_SHOULD_NOT_LEAK = 'x';
    try {
      const { stdout } = await runTool({ tool: 'env', command: 'env', args: [], env: { ...ENV, ONLY: '1' }, totalTimeoutSeconds: 10, idleTimeoutSeconds: 10, captureStdout: true });
      const names = stdout.toString().trim().split('\n').map((l) => l.split('=')[0]);
      assert.deepEqual(names.sort(), ['ONLY', 'PATH']);
    } finally {
      delete process.env.LX_TEST_SECRET_SHOULD_NOT_LEAK;
    }
  });

  it('fails with the tail of stderr on a non-zero exit', async () => {
    const tool = await script('fail.sh', 'echo "first line" >&2; echo "Invalid data found when processing input" >&2; exit 3');
    await assert.rejects(
      runTool({ tool: 'ffmpeg', command: tool, args: [], env: ENV, totalTimeoutSeconds: 10, idleTimeoutSeconds: 10 }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'exit_code' && /code 3/.test(e.message) && e.detail.includes('Invalid data found'),
    );
  });

  it('reports a missing binary as a start failure', async () => {
    await assert.rejects(
      runTool({ tool: 'ffmpeg', command: join(dir, 'no-such-ffmpeg'), args: [], env: ENV, totalTimeoutSeconds: 10, idleTimeoutSeconds: 10 }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'spawn_failed',
    );
  });

  it('kills a silent, hanging tool and everything it started when the idle watchdog fires', async () => {
    const pids = join(dir, 'pids-idle');
    const tool = await script('hang.sh', `sleep 300 & echo "$$ $!" > ${pids}; wait`);
    const started = Date.now();
    await assert.rejects(
      runTool({ tool: 'ffmpeg', command: tool, args: [], env: ENV, totalTimeoutSeconds: 60, idleTimeoutSeconds: 1 }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'idle_timeout',
    );
    assert.ok(Date.now() - started < 10_000, 'stopped promptly');
    const [shellPid, sleepPid] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number);
    await sleep(100);
    assert.equal(await alive(shellPid!), false, 'the tool is gone');
    assert.equal(await alive(sleepPid!), false, 'its child in the same process group is gone too');
  });

  it('enforces the total time limit even while the tool keeps printing', async () => {
    const tool = await script('chatty.sh', 'while true; do echo progress >&2; sleep 0.2; done');
    await assert.rejects(
      runTool({ tool: 'ffmpeg', command: tool, args: [], env: ENV, totalTimeoutSeconds: 1.5, idleTimeoutSeconds: 1 }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'timeout' && e.detail.includes('progress'),
    );
  });

  it('counts output on the progress descriptor as activity', async () => {
    const tool = await script('progress.sh', 'for i in 1 2 3 4 5 6; do echo "frame=$i" >&3; sleep 0.3; done');
    const result = await runTool({ tool: 'ffmpeg', command: tool, args: [], env: ENV, totalTimeoutSeconds: 20, idleTimeoutSeconds: 1, progressFd: true });
    assert.ok(result.durationSeconds >= 1.5);
  });

  it('stops on abort', async () => {
    const tool = await script('slow.sh', 'sleep 300');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(
      runTool({ tool: 'ffmpeg', command: tool, args: [], env: ENV, totalTimeoutSeconds: 60, idleTimeoutSeconds: 60, signal: controller.signal }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'aborted',
    );
  });

  it('refuses output beyond the configured size', async () => {
    await assert.rejects(
      runTool({ tool: 'yes', command: 'yes', args: [], env: ENV, totalTimeoutSeconds: 10, idleTimeoutSeconds: 10, captureStdout: true, maxStdoutBytes: 1024 }),
      (e: unknown) => e instanceof MediaToolError && e.code === 'bad_output',
    );
  });
});

describe('stderrTail', () => {
  it('keeps the end of long stderr, cut at a line', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const tail = stderrTail(text, 100);
    assert.ok(tail.length <= 101);
    assert.ok(tail.startsWith('…line '));
    assert.ok(tail.endsWith('line 499'));
    assert.equal(stderrTail('a\r\rb\n\n'), 'a\nb');
  });
});
